/**
 * Streamed collection of one plan entry: the board samples on its own timer and pushes batches.
 * Loss accounting lives here (transports only pass `seq` through):
 *  - a repeated sequence number → the batch is dropped and counted (duplicate);
 *  - seq 0 is a restart (every configure() restarts the board's numbering);
 *  - a hole in sample time (first sample of a batch more than 1.5 periods after the last one
 *    recorded) → one gap for the missing samples, reason `sequence_gap` if sequence numbers were
 *    skipped, `board_offline` if the link went down in between, `board_starting` before the first
 *    sample after a (re)configure, else `missed_ticks` (the board did not sample);
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
  /** Why the next hole in time happened, when known (link down, gateway restart). */
  private wentOffline: 'board_offline' | 'capture_stopped' | 'board_starting' | undefined;
  /** Samples at or before this time are on disk already (set after a gateway restart). */
  private durableThrough = -Infinity;
  private readonly resent: CounterChild;
  private readonly period: number;
  private readonly duplicates: CounterChild;

  constructor(
    hz: number,
    private readonly out: EntryOutput,
    metrics: CaptureMetrics,
  ) {
    this.period = periodMs(hz);
    this.duplicates = metrics.duplicateBatches.labels({ board: out.boardId });
    this.resent = metrics.resentSamples.labels({ board: out.boardId });
  }

  /** The board was (re)configured: its sequence numbers restart. */
  resetSequence(): void {
    this.expectSeq = undefined;
  }

  /**
   * The board was just given its sampling plan: the time until its first sample is spent starting
   * (handshake, configure, first batch interval), not a board that failed to sample.
   */
  startSampling(): void {
    this.wentOffline = 'board_starting';
  }

  /** The link went down; the next hole in time is blamed on that. */
  markOffline(): void {
    if (this.wentOffline !== 'capture_stopped') this.wentOffline = 'board_offline';
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
      this.hole(
        first.timeRequested,
        skipped > 0 ? `${skipped} batch(es) lost before seq ${b.seq}` : undefined,
      );
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
    this.wentOffline = undefined;
    const out = this.out;
    let last = this.lastT ?? -Infinity;
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (s.timeRequested <= this.durableThrough) {
        this.resent.inc(); // already on disk before a gateway restart: the board sent it again
        continue;
      }
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

  /**
   * A loss the board reported. Its instants that already have a record (delivered before an outage
   * and then also evicted from the board's re-send queue, or on disk before a gateway restart) are
   * left out, so no instant is both delivered and lost; the board's own count stays in the detail.
   */
  onBoardGap(g: BoardGap): void {
    // the last instant with a record (after a restart: the last one on disk, see resumeAfter)
    const done = this.lastT ?? -Infinity;
    let { start, count } = g;
    if (start <= done + this.period / 2) {
      const skip = Math.round((done - start) / this.period) + 1;
      count = Math.max(0, count - skip);
      start += skip * this.period;
      if (count === 0 || start > g.end + this.period / 2) return; // all of it is on record
    }
    // what lies between the last sample and the board's own report is a hole of its own
    if (this.lastT !== undefined && start > this.lastT) this.hole(start, undefined);
    const detail =
      count === g.count
        ? g.detail
        : `${g.detail ?? g.reason} (board counted ${g.count}; ${g.count - count} of them were already recorded)`;
    this.out.gap(g.reason, Math.min(start, g.end), g.end, count, detail);
    this.accountedUntil(g.end);
  }

  /**
   * A gateway restart: everything up to `t` is on disk, and the instants after it nobody captured
   * unless the board delivers them now (its backlog). Samples at or before `t` that the board sends
   * again are dropped (counted as resent); the first hole after `t` is `capture_stopped`.
   */
  resumeAfter(t: number): void {
    this.lastT = t;
    this.durableThrough = t + this.period / 2;
    this.wentOffline = 'capture_stopped';
  }

  /**
   * The instants strictly between lastT and `next` that have no record: one gap, reason by what
   * happened. Nothing for a hole under 1.5 periods.
   */
  private hole(next: number, lostBatches: string | undefined): void {
    const period = this.period;
    const hole = next - this.lastT!;
    if (!(hole > 1.5 * period)) return;
    const count = Math.round(hole / period) - 1;
    const reason =
      this.wentOffline ?? (lostBatches !== undefined ? 'sequence_gap' : 'missed_ticks');
    const detail =
      reason === 'sequence_gap'
        ? lostBatches
        : reason === 'board_offline'
          ? 'board link was down'
          : reason === 'capture_stopped'
            ? 'gateway was not running (stopped or crashed) and the board did not deliver these (it did not keep them, or kept them under a plan the changed config no longer has)'
            : reason === 'board_starting'
              ? 'board connected and configured, not sampling yet (handshake to first sample)'
              : 'board did not sample';
    // from one period after the last record to one period before the next; a hole under two periods
    // (two grids, e.g. after a restart) is one instant: the span collapses, it never runs backwards
    const start = this.lastT! + period;
    this.out.gap(reason, start, Math.max(start, next - period), count, detail);
    this.lastT = next - period;
  }
}
