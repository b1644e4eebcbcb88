/**
 * Streamed collection of one plan entry: the board samples on its own timer and pushes batches.
 * Loss accounting lives here (transports only pass `seq` through):
 *  - a repeated sequence number → the batch is dropped and counted (duplicate);
 *  - seq 0 is a restart (every configure() restarts the board's numbering);
 *  - a hole in sample time (first sample of a batch more than 1.5 periods after the last one
 *    recorded) → one gap for the missing samples, reason `sequence_gap` if sequence numbers were
 *    skipped, `board_offline` if the link went down in between, else `missed_ticks` (the board did
 *    not sample);
 *  - losses the transport knows about ('gap' events: reboot, backlog overflow) are written as given.
 */
import { periodMs } from '../config/plan.js';
import type { BoardGap, StreamBatch } from '../boards/board.js';
import type { CounterChild } from '../shared/metrics.js';
import type { EntryOutput } from './entry-output.js';
import type { CaptureMetrics } from './capture-metrics.js';

export class StreamedCollector {
  private expectSeq: number | undefined;
  /** Time of the last sample recorded (or the end of the last gap written). */
  lastT: number | undefined;
  private wentOffline = false;
  private readonly period: number;
  private readonly duplicates: CounterChild;

  constructor(
    hz: number,
    private readonly out: EntryOutput,
    metrics: CaptureMetrics,
  ) {
    this.period = periodMs(hz);
    this.duplicates = metrics.duplicateBatches.labels({ board: out.boardId });
  }

  /** The board was (re)configured: its sequence numbers restart. */
  resetSequence(): void {
    this.expectSeq = undefined;
  }

  /** The link went down; the next hole in time is blamed on that. */
  markOffline(): void {
    this.wentOffline = true;
  }

  /** Offline time already written as a gap up to `t` (by the offline accounting). */
  accountedUntil(t: number): void {
    if (this.lastT === undefined || t > this.lastT) this.lastT = t;
  }

  onBatch(b: StreamBatch): void {
    let skipped = 0;
    if (this.expectSeq !== undefined && b.seq !== 0) {
      if (b.seq < this.expectSeq) {
        this.duplicates.inc();
        return;
      }
      skipped = b.seq - this.expectSeq;
    } else if (this.expectSeq === undefined && b.seq > 0) {
      skipped = b.seq;
    }
    this.expectSeq = b.seq + 1;
    const samples = b.samples;
    const first = samples[0];
    if (first === undefined) return;
    const period = this.period;
    if (this.lastT !== undefined) {
      const hole = first.timeRequested - this.lastT;
      if (hole > 1.5 * period) {
        const count = Math.round(hole / period) - 1;
        const reason = this.wentOffline
          ? 'board_offline'
          : skipped > 0
            ? 'sequence_gap'
            : 'missed_ticks';
        const detail =
          reason === 'sequence_gap'
            ? `${skipped} batch(es) lost before seq ${b.seq}`
            : reason === 'board_offline'
              ? 'board link was down'
              : 'board did not sample';
        this.out.gap(reason, this.lastT + period, first.timeRequested - period, count, detail);
      }
    } else if (skipped > 0) {
      const count = skipped * samples.length;
      this.out.gap(
        'sequence_gap',
        first.timeRequested - count * period,
        first.timeRequested - period,
        count,
        `${skipped} batch(es) lost before seq ${b.seq}`,
      );
    }
    this.wentOffline = false;
    const out = this.out;
    let last = this.lastT ?? -Infinity;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      out.reading({
        kind: 'reading',
        time_requested: s.timeRequested,
        time_received: s.timeReceived,
        data: s.data,
      });
      if (s.timeRequested > last) last = s.timeRequested;
    }
    this.lastT = last;
  }

  onBoardGap(g: BoardGap): void {
    this.out.gap(g.reason, g.start, g.end, g.count, g.detail);
    this.accountedUntil(g.end);
  }
}
