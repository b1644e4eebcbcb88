/**
 * The store the gateway's parts write into, across a live `capture_dir` change: it hands every
 * record to the current store; `switchTo` makes a new store current in one step (a record goes to
 * exactly one of them: nothing lost, nothing twice), and the previous one is closed (its open files
 * finished in the old directory, readable by recovery and sync). Counters cover both.
 */
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
  }

  rotateAll(): Promise<void> {
    return this.current.rotateAll();
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.closing.values());
    await this.current.close();
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
    const p = closePrevious(prev).finally(() => {
      this.closing.delete(prev);
      const s = prev.stats();
      for (const k of SUMMED) this.retired[k] += s[k];
      this.retired.pendingRecords = 0;
      this.retired.pendingBytes = 0;
      this.retired.filesOpen = 0;
    });
    this.closing.set(
      prev,
      p.catch(() => undefined),
    );
    return p;
  }

  stats(): CaptureStoreStats {
    const parts = [this.current, ...this.closing.keys()].map((s) => s.stats());
    const out = { ...parts[0]! };
    for (const k of SUMMED) out[k] = this.retired[k] + parts.reduce((a, s) => a + s[k], 0);
    out.lastError = parts.find((s) => s.lastError !== null)?.lastError ?? null;
    return out;
  }
}
