/**
 * Group commit for the SQLite store: files that arrive together (concurrent uploads) are stored in
 * one transaction, each file inside its own savepoint (all of a file or none of it), so one fsync
 * acknowledges them all. Every promise resolves only after that commit.
 */
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { IngestFile, IngestResult } from './contract.js';

/** Records per group commit (bounds how long one commit blocks the event loop). */
const GROUP_COMMIT_RECORDS = 50_000;

export class SqliteGroupCommit {
  private readonly pending: {
    file: IngestFile;
    resolve: (r: IngestResult) => void;
    reject: (e: WharfError) => void;
  }[] = [];
  private flushScheduled = false;

  /**
   * @param groupTx runs its callback in one transaction
   * @param ingestTx stores one file in a savepoint inside that transaction
   */
  constructor(
    private readonly groupTx: (fn: () => void) => void,
    private readonly ingestTx: (f: IngestFile) => IngestResult,
  ) {}

  add(file: IngestFile): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ file, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Files still waiting for their commit. */
  get waiting(): number {
    return this.pending.length;
  }

  flush(): void {
    this.flushScheduled = false;
    let records = 0;
    let n = 0;
    while (
      n < this.pending.length &&
      (n === 0 || records + this.pending[n]!.file.records.length <= GROUP_COMMIT_RECORDS)
    ) {
      records += this.pending[n]!.file.records.length;
      n++;
    }
    const batch = this.pending.splice(0, n);
    const outcomes: ({ ok: IngestResult } | { err: WharfError })[] = [];
    const wrap = (f: IngestFile, err: unknown): WharfError =>
      err instanceof WharfError
        ? err
        : new WharfError(
            'CLOUD_STORE',
            `storing file ${f.file_id} failed, nothing was stored: ${errorMessage(err)}`,
            { cause: err },
          );
    try {
      this.groupTx(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: this.ingestTx(item.file) }); // a savepoint inside the group
          } catch (err) {
            outcomes.push({ err: wrap(item.file, err) });
          }
        }
      });
      batch.forEach((item, i) => {
        const o = outcomes[i]!;
        if ('ok' in o) item.resolve(o.ok);
        else item.reject(o.err);
      });
    } catch (err) {
      for (const item of batch) item.reject(wrap(item.file, err));
    }
    if (this.pending.length > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }
}
