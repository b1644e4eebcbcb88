/**
 * Wakes this replica's long-poll waiters when fleet config is written here; writes on other
 * replicas show in the store's `seq`, read at most once per SEQ_CACHE_MS per replica however many
 * gateways wait (a local write drops the cached value at once).
 */
const SEQ_CACHE_MS = 250;

export class ChangeHub {
  private waiters = new Set<() => void>();
  private seqValue = -1;
  private seqAt = 0;
  private seqPending: Promise<number> | undefined;

  /** The store's change counter, shared by all waiters of this replica. */
  seq(read: () => Promise<number>): Promise<number> {
    if (Date.now() - this.seqAt < SEQ_CACHE_MS) return Promise.resolve(this.seqValue);
    this.seqPending ??= read()
      .then((v) => {
        this.seqValue = v;
        this.seqAt = Date.now();
        return v;
      })
      .finally(() => {
        this.seqPending = undefined;
      });
    return this.seqPending;
  }

  notify(): void {
    this.seqAt = 0;
    const w = this.waiters;
    this.waiters = new Set();
    for (const f of w) f();
  }

  /** Resolves on the next notify, after `ms`, or when `signal` aborts, whichever is first. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(t);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
