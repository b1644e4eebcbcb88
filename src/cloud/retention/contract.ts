/**
 * Retention: how long the cloud keeps a machine's data (Viam's `retention_policy`, in days), and
 * the account of what it removed. Both stores implement it (test/cloud/retention.test.ts):
 *
 *  - a machine without a policy keeps its data for ever (the default);
 *  - `enforce(now)` removes the machine's records (readings and gap records) and images whose
 *    time_received is before `now − days` (cut at a whole minute), and nothing else;
 *  - PostgreSQL drops a whole day partition when every machine with rows in it is past its
 *    retention there, and deletes rows (bounded batches) where machines in one partition differ;
 *    SQLite deletes rows;
 *  - every removal is accounted: one event per (machine, how) with the counts, kept in the store
 *    (`events`), logged and counted in /metrics by the caller (runner.ts). Removed data is never
 *    shown as a gap: gaps are holes the gateway saw, retention is the owner's choice.
 */

export interface RetentionPolicy {
  machine: string;
  /** Keep this many days of data (whole days, ≥ 1). */
  days: number;
  updated_ms: number;
  /** Key id that set it. */
  author: string | null;
}

export interface RetentionEvent {
  /** When it was removed (cloud time). */
  at_ms: number;
  machine: string;
  /** The policy that removed it, and the cut: rows with time_received < cutoff_ms. */
  days: number;
  cutoff_ms: number;
  /** `drop_partition` (PostgreSQL, a whole day at once) or `delete_rows`. */
  how: 'drop_partition' | 'delete_rows';
  /** PostgreSQL partition name when a partition was dropped. */
  partition: string | null;
  readings: number;
  gaps: number;
  images: number;
}

export interface RetentionStore {
  /** Sets (days ≥ 1) or clears (null) a machine's policy. */
  setPolicy(machine: string, days: number | null, author: string | null): Promise<void>;
  policies(): Promise<RetentionPolicy[]>;
  /** Removes what the policies say is past; returns what it removed. */
  enforce(now?: number): Promise<RetentionEvent[]>;
  /** Newest first, at most `limit`. */
  events(limit: number): Promise<RetentionEvent[]>;
}

export const MAX_RETENTION_DAYS = 36_500;
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** The cut for a policy at `now`: whole minutes (so the per-minute rollups are cut exactly). */
export const cutoffOf = (now: number, days: number): number =>
  Math.floor((now - days * DAY_MS) / MINUTE_MS) * MINUTE_MS;
