/**
 * The cloud store contract. Two implementations (SQLite embedded default, PostgreSQL for fleets)
 * pass the same suite (test/cloud/store-contract.ts).
 *
 * Promises:
 *  - `ingest` is one transaction: a file's rows are all committed or none are. (file id, record
 *    index) is unique, so re-ingesting a file is a no-op answered `already_stored`. It resolves only
 *    after the commit is durable (SQLite WAL + synchronous=FULL; PostgreSQL synchronous_commit=on).
 *  - `query` pages by an opaque cursor over (time_received, id): stable while rows are added.
 *  - `openSql` runs one read-only statement with a timeout and streams its rows in batches.
 */
import type { CaptureMeta, CaptureRecord, ViamRow } from '../../shared/record.js';
import type { ImageQueries } from '../images/contract.js';
import type { RetentionStore } from '../retention/contract.js';

/** A stored row as the API returns it: the Viam row plus a stable numeric id. */
export interface StoredRow extends ViamRow {
  id: number;
}

export interface ReadingFilter {
  machine?: string[];
  part_id?: string[];
  component_type?: string[];
  component_name?: string[];
  method?: string[];
  kind?: 'reading' | 'gap';
  /** Inclusive bounds on time_received, ms epoch. */
  from?: number;
  to?: number;
  /** Any of these tags. */
  tags?: string[];
}

export interface QueryOptions {
  limit: number;
  order: 'asc' | 'desc';
  cursor?: string | null;
}

export interface QueryPage {
  rows: StoredRow[];
  next_cursor: string | null;
}

export interface IngestFile {
  file_id: string;
  sha256: string;
  bytes: number;
  meta: CaptureMeta;
  records: CaptureRecord[];
}

export interface IngestResult {
  status: 'stored' | 'already_stored';
  records: number;
}

/** One stream = one distinct header (machine, part, component, method, tags, parameters). */
export interface StreamInfo extends CaptureMeta {
  id: number;
}

export interface StreamStats {
  stream_id: number;
  /** Newest time_received of all time (null when the stream has no rows). */
  last_seen: number | null;
  /** Counts inside the asked range. */
  readings: number;
  /** Gap records (holes); `rate_change` marks (count 0, not a hole) are not counted. */
  gaps: number;
}

export interface SqlOptions {
  timeoutMs: number;
  maxRows: number;
  batchSize?: number;
  /** SQLite: memory cap of the SQL child process (default 256 MB). */
  maxMemoryBytes?: number;
}

export interface SqlStream {
  columns: string[];
  /** Batches of rows, each row an array in column order. Ends when the statement is done. */
  batches: AsyncIterable<unknown[][]>;
  /** Stops the statement early (idempotent). */
  cancel(): Promise<void>;
}

export interface KeyInfo {
  id: string;
  /** The machine this key may upload as; null = a read-only key (query, SQL, export; no ingest). */
  machine: string | null;
  label: string;
  created_ms: number;
  revoked_ms: number | null;
}

export interface KeyStore {
  /** Stores only the hash; returns the key once (`wharf_<id>_<secret>`). */
  createKey(machine: string | null, label?: string): Promise<{ info: KeyInfo; key: string }>;
  listKeys(): Promise<KeyInfo[]>;
  /** True when a key was revoked now. */
  revokeKey(id: string): Promise<boolean>;
  /** The key's info when it is valid and not revoked, else null. */
  verifyKey(key: string): Promise<KeyInfo | null>;
  /** Info by id (for session cookies), null when unknown or revoked. */
  keyById(id: string): Promise<KeyInfo | null>;
}

export interface CloudStore extends KeyStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Image metadata and bytes (src/cloud/images, docs/cameras.md). */
  readonly images: ImageQueries;
  /** Retention policies per machine and what they removed (src/cloud/retention, docs/fleet.md). */
  readonly retention: RetentionStore;
  ingest(file: IngestFile): Promise<IngestResult>;
  query(filter: ReadingFilter, opts: QueryOptions): Promise<QueryPage>;
  /** Rows matching the filter (for export progress). */
  count(filter: ReadingFilter): Promise<number>;
  streams(): Promise<StreamInfo[]>;
  streamStats(from: number, to: number): Promise<StreamStats[]>;
  openSql(sql: string, opts: SqlOptions): Promise<SqlStream>;
  totals(): Promise<{ files: number; records: number }>;
  /** Periodic upkeep (PostgreSQL: create the day partitions ahead). Optional. */
  maintain?(): Promise<void>;
  close(): Promise<void>;
}
