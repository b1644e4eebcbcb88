/**
 * A collector's time without its board (collector.ts): the span since the board went away is
 * accounted as `board_offline` gaps in whole ticks of the entry — written every `holdMs` while it
 * lasts (so a long outage is on disk as it happens) and the rest when the board is back — and the
 * `capture_stopped` gap a gateway restart leaves.
 */
import type { Clock, TimerHandle } from '../shared/clock.js';
import type { EntryOutput } from './entry-output.js';

/** Every tick after `from` up to `until`: one capture_stopped gap. Returns the last tick covered. */
export function writeCaptureStopped(
  out: EntryOutput,
  period: number,
  from: number,
  until: number,
): number {
  const count = Math.max(0, Math.floor((until - from) / period + 1e-9));
  const last = from + count * period;
  if (count > 0) {
    out.gap(
      'capture_stopped',
      from + period,
      last,
      count,
      'gateway was not running (stopped or crashed)',
    );
    out.flushGap();
  }
  return last;
}

export interface OfflineSpanDeps {
  out: EntryOutput;
  clock: Clock;
  /** The entry's period (ms). */
  period: () => number;
  /** How often a pending span is written (read at each arming: the engine may change it). */
  holdMs: () => number;
  /** The collector stopped: the timer does nothing more. */
  stopped: () => boolean;
  /** Called with the last tick a written span covered (a streamed collector continues after it). */
  accountedUntil: (t: number) => void;
}

export class OfflineSpan {
  /** Start of the span not yet accounted while the board is not online. */
  private from: number | undefined;
  private detailValue = 'board not connected yet';
  private timer: TimerHandle | undefined;

  constructor(private readonly d: OfflineSpanDeps) {}

  /** Why the board is away (the detail of the gaps written). */
  get detail(): string {
    return this.detailValue;
  }

  /** A span is open (not yet ended). */
  get pending(): boolean {
    return this.from !== undefined;
  }

  begin(from: number, detail: string): void {
    this.from = from;
    this.detailValue = detail;
    if (this.timer === undefined) this.arm();
  }

  private arm(): void {
    this.timer = this.d.clock.setTimer(() => {
      this.timer = undefined;
      if (this.from === undefined || this.d.stopped()) return;
      this.account();
      this.arm();
    }, this.d.holdMs());
  }

  /** Write the pending offline span up to now (periodic, so a long outage is on disk as it happens). */
  account(): void {
    if (this.from === undefined) return;
    const now = this.d.clock.now();
    const period = this.d.period();
    const n = Math.floor((now - this.from) / period + 1e-9);
    if (n <= 0) return;
    const end = this.from + n * period;
    this.d.out.gap('board_offline', this.from, end - period, n, this.detailValue);
    this.d.out.flushGap();
    this.from = end;
    this.d.accountedUntil(end - period);
  }

  /** Account whole ticks up to now; returns the first instant not accounted (≤ now + a period). */
  end(): number {
    if (this.timer !== undefined) this.d.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.account();
    const next = this.from ?? this.d.clock.now();
    this.from = undefined;
    return next;
  }
}
