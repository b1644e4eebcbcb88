/**
 * The store the gateway's parts write into, across a live `capture_dir` change: it hands every
 * record to the current store; `switchTo` makes a new store current in one step (a record goes to
 * exactly one of them: nothing lost, nothing twice), and the previous one is closed (its open files
 * finished in the old directory, readable by recovery and sync). Counters cover both.
 *
 * A previous store that cannot be closed (its disk is full) keeps its records in memory and is
 * closed again at every flush; until then flush() fails, so the restart checkpoint does not move
 * past them: should the gateway stop before they are written, the next start records the span as
 * a `capture_stopped` gap (an over-, never an under-statement).
 */
import { errorMessage, WharfError } from '../shared/errors.js';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import { emptyStats, type CaptureStore, type CaptureStoreStats } from './capture-store.js';

const SUMMED = [
  'appended',
  'durable',
  'pendingRecords',
  'pendingBytes',
  'dropped',
  'bytesWritten',
  'filesOpen',
  'filesFinished',
  'flushes',
  'writeErrors',
] as const;

export class SwitchingStore implements CaptureStore {
  /** Totals of the stores closed after a switch. */
  private readonly retired: CaptureStoreStats = emptyStats();
  /** Previous stores still closing, with their close. */
  private readonly closing = new Map<CaptureStore, Promise<void>>();
  /** Previous stores whose close failed, with the last error (retried at every flush). */
  private readonly unclosed = new Map<CaptureStore, unknown>();

  constructor(private current: CaptureStore) {}

  /** The store records go to now. */
  get active(): CaptureStore {
    return this.current;
  }

  append(key: string, meta: CaptureMeta, rec: CaptureRecord): void {
    this.current.append(key, meta, rec);
  }

  /**
   * Flushes the current store and waits for a previous one still closing: a record appended before
   * this call is durable (or its failure reported) when it resolves, whichever store holds it.
   */
  async flush(): Promise<void> {
    await Promise.all([this.current.flush(), ...this.closing.values()]);
    await this.retryUnclosed();
  }

  private async retryUnclosed(): Promise<void> {
    for (const s of [...this.unclosed.keys()]) {
      try {
        await s.close();
        this.unclosed.delete(s);
        this.retire(s);
      } catch (err) {
        this.unclosed.set(s, err);
      }
    }
    if (this.unclosed.size === 0) return;
    let pending = 0;
    for (const s of this.unclosed.keys()) pending += s.stats().pendingRecords;
    throw new WharfError(
      'CAPTURE_IO',
      `${pending} record(s) for a previous capture dir not written yet: ${errorMessage([...this.unclosed.values()][0])}; retried at every flush`,
    );
  }

  private retire(prev: CaptureStore): void {
    const s = prev.stats();
    for (const k of SUMMED) this.retired[k] += s[k];
    this.retired.pendingRecords = 0;
    this.retired.pendingBytes = 0;
    this.retired.filesOpen = 0;
  }

  rotateAll(): Promise<void> {
    return this.current.rotateAll();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.closing.values());
    await this.current.close();
    await this.retryUnclosed();
  }

  keyFor(meta: CaptureMeta): string | undefined {
    return this.current.keyFor?.(meta);
  }

  /**
   * From now on records go to `next`. `closePrevious` closes the previous store (finishing its
   * files); its promise is what flush() waits for. Resolves once it closed (rejects as it does).
   */
  switchTo(
    next: CaptureStore,
    closePrevious: (prev: CaptureStore) => Promise<void>,
  ): Promise<void> {
    const prev = this.current;
    this.current = next;
    const p = closePrevious(prev)
      .then(
        () => this.retire(prev),
        (err: unknown) => {
          this.unclosed.set(prev, err);
          throw err;
        },
      )
      .finally(() => this.closing.delete(prev));
    this.closing.set(
      prev,
      p.catch(() => undefined),
    );
    return p;
  }

  stats(): CaptureStoreStats {
    const stores = new Set([this.current, ...this.closing.keys(), ...this.unclosed.keys()]);
    const parts = [...stores].map((s) => s.stats());
    const out = { ...parts[0]! };
    for (const k of SUMMED) out[k] = this.retired[k] + parts.reduce((a, s) => a + s[k], 0);
    out.lastError = parts.find((s) => s.lastError !== null)?.lastError ?? null;
    if (out.lastError === null && this.unclosed.size > 0)
      out.lastError = errorMessage([...this.unclosed.values()][0]);
    return out;
  }
}
