/**
 * The fleet store: fragments with revisions and tags, machine configs held in the cloud, what each
 * gateway reported it applied, and which keys may write fleet config. Two implementations
 * (SQLite beside the cloud's data store, PostgreSQL in the same database) pass one suite
 * (test/cloud/fleet-store-contract.ts).
 *
 * Promises:
 *  - every save of a fragment or machine config is a new revision (1, 2, …); old revisions stay
 *    readable (history) so a machine pinned to revision 3 keeps getting revision 3;
 *  - a tag names one revision of one fragment and can be moved;
 *  - `seq()` grows with every write (any replica), so a waiter notices changes made elsewhere;
 *  - every list is bounded by a limit.
 */

export interface FragmentInfo {
  id: string;
  name: string;
  created_ms: number;
  /** Latest revision. */
  head: number;
  updated_ms: number;
  /** tag → revision */
  tags: Record<string, number>;
}

export interface FragmentRevision {
  fragment_id: string;
  revision: number;
  config: Record<string, unknown>;
  created_ms: number;
  /** Key id that saved it. */
  author: string | null;
}

export interface MachineConfigRow {
  machine: string;
  revision: number;
  config: Record<string, unknown>;
  updated_ms: number;
  author: string | null;
}

/** What a gateway reports after a config reached it. */
export interface MachineReport {
  machine: string;
  /** Cloud time the report arrived. */
  reported_ms: number;
  /** applied: the plan runs; rejected: the gateway refused the config (issues say why), the previous plan runs. */
  status: 'applied' | 'rejected';
  /** Identity of the desired config the report is about. */
  etag: string;
  config_revision: number;
  fragments: { id: string; revision: number }[];
  /** Hash of the effective capture plan now running (src/config/plan-hash.ts). */
  plan_hash: string | null;
  /** Gateway time the config was applied or refused. */
  applied_ms: number;
  error: string | null;
  issues: { severity: string; path: string; message: string }[];
}

export interface FleetStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Creates a fragment at revision 1. Fails with CLOUD_BAD_REQUEST when the id exists. */
  createFragment(
    id: string,
    name: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<FragmentInfo>;
  /** Saves a new revision; returns it. CLOUD_NOT_FOUND for an unknown fragment. */
  updateFragment(
    id: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<number>;
  /** Points `tag` at `revision` (creating or moving it). CLOUD_NOT_FOUND for an unknown fragment/revision. */
  tagFragment(id: string, tag: string, revision: number): Promise<void>;
  fragment(id: string): Promise<FragmentInfo | null>;
  listFragments(limit: number): Promise<FragmentInfo[]>;
  revision(id: string, revision: number): Promise<FragmentRevision | null>;
  /** Newest first, at most `limit`. */
  history(id: string, limit: number): Promise<FragmentRevision[]>;

  /** Saves a machine's config as its next revision; returns the revision. */
  setMachineConfig(
    machine: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<number>;
  machineConfig(machine: string): Promise<MachineConfigRow | null>;
  listMachineConfigs(limit: number): Promise<MachineConfigRow[]>;

  /** Keeps the latest report per machine. */
  report(r: MachineReport): Promise<void>;
  reports(limit: number): Promise<MachineReport[]>;

  /** Fleet admin keys may write fragments and machine configs. */
  grantAdmin(keyId: string): Promise<void>;
  isAdmin(keyId: string): Promise<boolean>;

  /** Grows with every write to fragments, tags and machine configs. */
  seq(): Promise<number>;
  close(): Promise<void>;
}
