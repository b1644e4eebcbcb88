/** Bounds on user statements and downloads running at once (CLOUD_SQL_BUSY, 429). */
import { WharfError } from '../shared/errors.js';

/** User SQL statements running at once, by default. */
export const SQL_DEFAULT_CONCURRENCY = 4;

/**
 * How many user statements may run at once. Each holds a SQLite child process (up to 256 MB) or
 * one of the PostgreSQL store's 8 pooled connections until it ends or times out: without a bound,
 * a handful of slow statements from one read-only key starve ingest and health of connections
 * (PostgreSQL) or fill memory (SQLite). One more answers 429 at once; none waits in a queue.
 */
export class SqlSlots {
  private used = 0;
  constructor(
    readonly max: number,
    private readonly what = 'SQL statements',
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`SQL slots must be ≥ 1 (${max})`);
  }
  /** Takes a slot (throws CLOUD_SQL_BUSY when none is free); the returned release is idempotent. */
  take(): () => void {
    if (this.used >= this.max)
      throw new WharfError(
        'CLOUD_SQL_BUSY',
        `${this.max} ${this.what} are running already (the most at once): try again when one has finished`,
      );
    this.used++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.used--;
    };
  }
  get running(): number {
    return this.used;
  }
}
