/**
 * Stream intake of a protocol link: `b` and `gap` frames → 'batch'/'gap' events, across outages.
 *  - Batches of the running plan are taken whenever the clock mapping is there — also during a
 *    re-handshake, when a board drains the backlog it kept while the link was down. A sequence
 *    number the link already delivered (the board re-sends its last `lt` ms) is dropped here. A
 *    reboot shows in batches only per entry (t0 well below that entry's previous batch): a backlog
 *    is older than the board's current clock by design.
 *  - `gap` frames that arrive before the clock is mapped wait for it (bounded), so their board
 *    times are never mapped with a missing offset.
 *  - Rejoin: after a reconnect that was not a reboot, the board still runs its plan (it keeps it
 *    across `cfg`), so an unchanged plan is not sent again — its keys and sequence numbers carry on.
 *    If no batch arrives within a few batch periods, the plan is sent after all (a board that
 *    dropped it).
 */
import type { BoardGap, SamplingEntry, StreamBatch } from '../board.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { ClockMap } from './clock-map.js';
import type { BatchFrame, GapFrame } from './messages.js';
import { StreamDecoder, samePlan } from './stream-decoder.js';
import type { LinkStats } from './values.js';

export interface IntakeHost {
  batch(b: StreamBatch): void;
  gap(g: BoardGap): void;
  bad(reason: string): void;
  /** The board clock stepped back in a batch. */
  stepped(why: string): void;
  /** Send the current plan again (the rejoin watchdog fired). */
  resendPlan(): Promise<void>;
  online(): boolean;
}

const MAX_PENDING_GAPS = 256;

export class StreamIntake {
  readonly decoder: StreamDecoder;
  private pendingGaps: GapFrame[] = [];
  private planKept = false;
  private watchdog: TimerHandle | undefined;

  constructor(
    private readonly boardId: string,
    private readonly clockMap: ClockMap,
    private readonly clock: Clock,
    private readonly stats: LinkStats,
    private readonly logger: Logger,
    ranges: () => Map<string, [number, number, number]>,
    private readonly host: IntakeHost,
  ) {
    this.decoder = new StreamDecoder(clockMap, ranges);
  }

  batch(f: BatchFrame): void {
    const r = this.decoder.batch(f, this.clock.now());
    if (!r.ok) {
      if ('repeat' in r) this.stats.repeatedBatches++;
      else if ('stepped' in r) this.host.stepped(`board clock stepped back to ${f.t0} ms in batch ${f.k}#${f.s}`);
      else if (r.stale) this.stats.staleBatches++;
      else this.host.bad(r.reason);
      return;
    }
    this.stats.batches++;
    this.host.batch(r.batch);
  }

  gap(f: GapFrame): void {
    if (!this.clockMap.synced) {
      if (this.pendingGaps.length >= MAX_PENDING_GAPS) this.pendingGaps.shift();
      this.pendingGaps.push(f);
      return;
    }
    const g = this.decoder.gap(f);
    if (g === 'repeat') this.stats.repeatedGaps++;
    else if (g !== undefined) this.host.gap(g);
  }

  /** The clock is mapped (handshake done): gap frames held back go out now. */
  synced(): void {
    const p = this.pendingGaps;
    this.pendingGaps = [];
    for (const f of p) this.gap(f);
  }

  /** A new link is up; `rejoin`: same board, not restarted, so it still runs the plan. */
  reconnected(rejoin: boolean): void {
    this.stopWatchdog();
    this.planKept = rejoin && this.decoder.size > 0;
    if (!rejoin) this.pendingGaps = [];
  }

  /** Whether configure(streamed) can keep the running plan instead of sending a new one. */
  keepsPlan(streamed: SamplingEntry[], batchMs: number): boolean {
    const kept = this.planKept && samePlan(this.decoder.entries(), streamed);
    this.planKept = false;
    if (kept) this.armWatchdog(streamed, batchMs);
    return kept;
  }

  stopWatchdog(): void {
    if (this.watchdog !== undefined) this.clock.clearTimer(this.watchdog);
    this.watchdog = undefined;
  }

  private armWatchdog(streamed: SamplingEntry[], batchMs: number): void {
    const slowest = Math.min(...streamed.map((e) => e.hz));
    const waitMs = Math.max(3000, 3 * batchMs, 3000 / slowest);
    const seen = this.stats.batches;
    this.stopWatchdog();
    this.watchdog = this.clock.setTimer(() => {
      this.watchdog = undefined;
      if (!this.host.online() || this.stats.batches !== seen) return;
      this.logger.warn({ board: this.boardId, waitedMs: waitMs }, 'board sent no batch after rejoining; sending its sampling plan again');
      this.host.resendPlan().catch(() => undefined);
    }, waitMs);
  }
}
