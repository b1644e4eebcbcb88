/**
 * Where one plan entry's records go: the sink (a CaptureStore), its counters, and the time of the
 * last record handed to the sink (for the restart checkpoint).
 *
 * Consecutive gaps with the same reason are merged into one record (one span, summed count) until
 * a reading arrives, the reason changes, or the merged span is `holdMs` old, so a board failing
 * every read at 100 Hz writes about one gap record per second, not a hundred.
 */
import type {
  CaptureMeta,
  CaptureRecord,
  GapReason,
  GapRecord,
  ReadingRecord,
} from '../shared/record.js';
import type { CounterChild } from '../shared/metrics.js';
import { WharfError } from '../shared/errors.js';

/** Every gap record spans forward in time: a span that runs backwards is a bug where it was made. */
export function assertSpan(reason: string, start: number, end: number, count: number): void {
  if (!(start <= end) || !(count >= 0))
    throw new WharfError(
      'INTERNAL',
      `gap record ${reason} would run backwards or count below 0: ${start} → ${end} (${count})`,
    );
}
import type { CaptureMetrics } from './capture-metrics.js';

/** What the engine needs from a capture store (src/capture/capture-store.ts satisfies it). */
export interface RecordSink {
  append(key: string, meta: CaptureMeta, rec: CaptureRecord): void;
}

export class EntryOutput {
  /** Latest time covered by a record handed to the sink (reading time or gap end). */
  lastTime: number | undefined;
  /** Tick of a polled read still in flight: its record will come after later ones. */
  inFlightTick: number | undefined;
  private pending: GapRecord | undefined;
  private readonly readingCount: CounterChild;
  private readonly gapCounters = new Map<
    GapReason,
    { records: CounterChild; readings: CounterChild }
  >();

  constructor(
    readonly key: string,
    readonly boardId: string,
    readonly meta: CaptureMeta,
    private readonly sink: RecordSink,
    private readonly metrics: CaptureMetrics,
    private readonly holdMs: number,
    private readonly periodMs: number = Infinity,
  ) {
    this.readingCount = metrics.readings.labels({ board: boardId, method: meta.method_name });
  }

  reading(rec: ReadingRecord): void {
    if (this.pending !== undefined) this.flushGap();
    this.sink.append(this.key, this.meta, rec);
    this.readingCount.inc();
    if (this.lastTime === undefined || rec.time_requested > this.lastTime)
      this.lastTime = rec.time_requested;
  }

  /** A gap, merged with the pending one when it has the same reason. */
  gap(reason: GapReason, start: number, end: number, count: number, detail?: string): void {
    assertSpan(reason, start, end, count);
    const p = this.pending;
    if (p !== undefined && p.reason === reason) {
      p.start = Math.min(p.start, start);
      p.end = Math.max(p.end, end);
      p.count += count;
      if (end - p.start >= this.holdMs) this.flushGap();
      return;
    }
    if (p !== undefined) this.flushGap();
    this.pending = { kind: 'gap', reason, start, end, count };
    if (detail !== undefined) this.pending.detail = detail;
    if (end - start >= this.holdMs) this.flushGap();
  }

  /** Write the pending merged gap now (on stop, before a reading, on the periodic flush). */
  flushGap(): void {
    const g = this.pending;
    if (g === undefined) return;
    this.pending = undefined;
    this.sink.append(this.key, this.meta, g);
    let c = this.gapCounters.get(g.reason);
    if (c === undefined) {
      c = {
        records: this.metrics.gaps.labels({ board: this.boardId, reason: g.reason }),
        readings: this.metrics.gapReadings.labels({ board: this.boardId, reason: g.reason }),
      };
      this.gapCounters.set(g.reason, c);
    }
    c.records.inc();
    c.readings.inc(g.count);
    if (this.lastTime === undefined || g.end > this.lastTime) this.lastTime = g.end;
  }

  /**
   * The restart mark: every tick up to it has its record in the sink. A read in flight holds the
   * mark just before its tick, even when records of later ticks (missed-tick gaps) are already out.
   */
  mark(): number | undefined {
    if (this.inFlightTick === undefined || this.lastTime === undefined) return this.lastTime;
    return Math.min(this.lastTime, this.inFlightTick - this.periodMs);
  }

  hasPendingGap(): boolean {
    return this.pending !== undefined;
  }
}
