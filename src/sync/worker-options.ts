/** Options and pass results of the sync worker (worker.ts). */
import type { Clock } from '../shared/clock.js';
import type { WharfError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { BackoffOptions } from './backoff.js';
import type { SyncTarget } from './target.js';

export interface SyncWorkerOptions {
  captureDir: string;
  target: SyncTarget | null;
  /** `sync_interval_mins` × 60 000. */
  intervalMs: number;
  disabled?: boolean;
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  /** Parallel uploads (default 4: uploads wait on the network and the cloud's commit, not on our CPU). */
  concurrency?: number;
  backoff?: Partial<BackoffOptions>;
  random?: () => number;
  /** Write `sync-status.json` for `wharf status` (default true). */
  persistStatus?: boolean;
}

export interface PassResult {
  uploaded: number;
  alreadyStored: number;
  failed: number;
  records: number;
  bytes: number;
  /** Files still waiting after the pass. */
  remaining: number;
  error: WharfError | null;
  /**
   * A file the target refused for this key while the key works for the others (a file of another
   * machine): it stays and the pass went on; set when `error` is not.
   */
  refused?: WharfError;
}
