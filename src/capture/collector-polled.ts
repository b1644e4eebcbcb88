/**
 * Polled collection of one plan entry: at each scheduler tick, one `board.read()`.
 *  - `time_requested` is the tick (the scheduled instant); `time_received` is when the board took
 *    the sample (its clock, mapped) when the board reports it, else when the answer arrived. Their
 *    difference is the poll lateness (on /metrics as wharf_poll_lateness_ms*).
 *  - A failed read is a gap (`timeout`, `board_offline` or `read_error`, with the error message),
 *    never a made-up value.
 *  - A read still in flight at the next tick: that tick is a missed tick (not queued), so a slow
 *    board costs its own entry ticks and never delays anything else.
 *  - Ticks the scheduler could not run (a stalled process) are one `missed_ticks` gap.
 */
import type { Board, CaptureMethod } from '../boards/board.js';
import type { Clock, TimerHandle } from '../shared/clock.js';
import type { GapReason, ReadingData } from '../shared/record.js';
import { errorMessage, isWharfError, WharfError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CounterChild, GaugeChild } from '../shared/metrics.js';
import { TickScheduler } from './scheduler.js';
import type { EntryOutput } from './entry-output.js';
import type { CaptureMetrics } from './capture-metrics.js';

export interface PolledDeps {
  clock: Clock;
  logger: Logger;
  metrics: CaptureMetrics;
  readTimeoutMs: number;
}

/** Detail of the gap for ticks skipped while a read was in flight (checkpoint.ts relies on it). */
export const IN_FLIGHT_DETAIL = 'previous read still in flight';

/** Grace after the read timeout before the collector stops waiting for a board that ignores it. */
const GUARD_GRACE_MS = 1000;

export function gapReasonFor(err: unknown): GapReason {
  if (isWharfError(err, 'BOARD_TIMEOUT')) return 'timeout';
  if (isWharfError(err, 'BOARD_DISCONNECTED')) return 'board_offline';
  return 'read_error';
}

export class PolledCollector {
  private readonly scheduler: TickScheduler;
  private inFlight: Promise<void> | undefined;
  private readonly missed: CounterChild;
  private readonly lateSum: CounterChild;
  private readonly lateCount: CounterChild;
  private readonly lateLast: GaugeChild;
  private readonly errorCounters = new Map<string, CounterChild>();

  constructor(
    private readonly board: Board,
    private readonly method: CaptureMethod,
    private readonly readers: string[],
    hz: number,
    private readonly out: EntryOutput,
    private readonly deps: PolledDeps,
  ) {
    this.missed = deps.metrics.missedTicks.labels({ board: out.boardId });
    this.lateSum = deps.metrics.pollLatenessSum.labels({ board: out.boardId });
    this.lateCount = deps.metrics.pollLatenessCount.labels({ board: out.boardId });
    this.lateLast = deps.metrics.pollLatenessLast.labels({ board: out.boardId });
    this.scheduler = new TickScheduler({
      clock: deps.clock,
      hz,
      onTick: (t) => this.tick(t),
      onMissed: (m) => {
        this.missed.inc(m.count);
        this.out.gap(
          'missed_ticks',
          m.start,
          m.end,
          m.count,
          'scheduler could not run these ticks (process stalled)',
        );
      },
      onError: (err) =>
        deps.logger.error({ entry: out.key, err: errorMessage(err) }, 'collector tick failed'),
    });
  }

  start(anchor?: number): void {
    this.scheduler.start(anchor);
  }

  /** Stop ticking; resolves once a read still in flight has been recorded. */
  async stop(): Promise<void> {
    this.scheduler.stop();
    await this.inFlight;
  }

  private tick(t: number): void {
    if (this.inFlight !== undefined) {
      this.missed.inc();
      this.out.gap('missed_ticks', t, t, 1, IN_FLIGHT_DETAIL);
      return;
    }
    this.out.inFlightTick = t;
    this.inFlight = this.readOnce(t).finally(() => {
      this.inFlight = undefined;
      this.out.inFlightTick = undefined;
    });
  }

  private async readOnce(t: number): Promise<void> {
    const { clock } = this.deps;
    let guard: TimerHandle | undefined;
    try {
      let sampledAt: number | undefined;
      const data = await Promise.race<ReadingData>([
        this.board.read(this.method, this.readers, {
          timeoutMs: this.deps.readTimeoutMs,
          sampled: (at) => (sampledAt = at),
        }),
        new Promise<never>((_, reject) => {
          guard = clock.setTimer(
            () =>
              reject(
                new WharfError(
                  'BOARD_TIMEOUT',
                  `board ${this.out.boardId} did not answer a read within ${this.deps.readTimeoutMs} ms`,
                ),
              ),
            this.deps.readTimeoutMs + GUARD_GRACE_MS,
          );
        }),
      ]);
      if (sampledAt !== undefined) {
        this.lateSum.inc(Math.max(0, sampledAt - t)); // a counter never goes down (mapping noise)
        this.lateCount.inc();
        this.lateLast.set(sampledAt - t);
      }
      this.out.reading({
        kind: 'reading',
        time_requested: t,
        time_received: sampledAt ?? clock.now(),
        data,
      });
    } catch (err) {
      const code = isWharfError(err) ? err.code : 'INTERNAL';
      let c = this.errorCounters.get(code);
      if (c === undefined) {
        c = this.deps.metrics.readErrors.labels({ board: this.out.boardId, code });
        this.errorCounters.set(code, c);
      }
      c.inc();
      this.out.gap(gapReasonFor(err), t, clock.now(), 1, errorMessage(err));
    } finally {
      if (guard !== undefined) clock.clearTimer(guard);
    }
  }
}
