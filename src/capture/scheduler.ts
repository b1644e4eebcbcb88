/**
 * A drift-free periodic scheduler on an injected Clock.
 *
 * Tick n is due at the absolute deadline `anchor + n * 1000 / hz` (computed from n, never by adding
 * periods up, so there is no accumulated error over hours). After each tick the timer is re-armed
 * against the next absolute deadline, so a late timer (real timers are coarse, ≥ 1 ms) never shifts
 * the ticks after it.
 *
 * Timer jitter is absorbed: a wake-up up to `jitterMs` (default 50 ms) late still runs the overdue
 * ticks of that window (at most `maxCatchUp` + 1, default 5) back to back, each with its own tick
 * time. Anything older is a stall (a blocked event loop, a suspended process): those ticks are NOT
 * replayed; they are reported once through `onMissed` as one span with a count, and the schedule
 * continues on its grid.
 *
 * `setHz()` re-anchors on the last tick that ran: the next tick is one new period after it (or the
 * first new-grid instant not in the past), and nothing is reported missed because of the change.
 */
import { periodMs } from '../config/plan.js';
import type { Clock, TimerHandle } from '../shared/clock.js';

export interface MissedTicks {
  /** Number of ticks that did not run. */
  count: number;
  /** Deadline of the first and the last tick that did not run (ms epoch). */
  start: number;
  end: number;
}

export interface TickSchedulerOptions {
  clock: Clock;
  hz: number;
  /** Runs at each tick with the tick's scheduled time (its deadline) and index since the anchor. */
  onTick: (time: number, index: number) => void;
  /** Runs once per stall with the ticks that were skipped. */
  onMissed?: (missed: MissedTicks) => void;
  /** Called if onTick/onMissed throws; the scheduler keeps running. */
  onError?: (err: unknown) => void;
  /** Lateness still treated as jitter (overdue ticks run late), ms. Default 50 (shared machines stall ~30 ms). */
  jitterMs?: number;
  /** Extra overdue ticks run in one wake-up within the jitter window. Default 4. */
  maxCatchUp?: number;
}

export interface SchedulerStats {
  ticks: number;
  missed: number;
}

/** A timer may fire a little early against the clock (libuv caches loop time): tolerate this much. */
const EARLY_TOLERANCE_MS = 0.05;

export class TickScheduler {
  private readonly clock: Clock;
  private hzValue: number;
  private anchor = 0;
  private nextIndex = 0;
  private lastTickTime: number | undefined;
  private timer: TimerHandle | undefined;
  private running = false;
  private readonly stats_: SchedulerStats = { ticks: 0, missed: 0 };

  constructor(private readonly opts: TickSchedulerOptions) {
    assertHz(opts.hz);
    this.clock = opts.clock;
    this.hzValue = opts.hz;
  }

  get hz(): number {
    return this.hzValue;
  }

  get isRunning(): boolean {
    return this.running;
  }

  stats(): SchedulerStats {
    return { ...this.stats_ };
  }

  /** Deadline of tick `index` on the current grid. */
  deadline(index: number): number {
    return this.anchor + (index * 1000) / this.hzValue;
  }

  /** Start ticking; the first tick is due at `anchor` (default: now). */
  start(anchor = this.clock.now()): void {
    if (this.running) return;
    this.running = true;
    this.anchor = anchor;
    this.nextIndex = 0;
    this.lastTickTime = undefined;
    this.arm();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }

  /** Change the rate mid-run: re-anchor on the last tick, no ticks reported missed by the change. */
  setHz(hz: number): void {
    assertHz(hz);
    if (hz === this.hzValue) return;
    this.hzValue = hz;
    if (!this.running) return;
    const now = this.clock.now();
    if (this.lastTickTime === undefined) {
      // Nothing ran yet: keep the anchor (first tick still due at it).
      this.nextIndex = 0;
    } else {
      this.anchor = this.lastTickTime;
      const period = periodMs(hz);
      this.nextIndex = Math.max(1, Math.ceil((now - this.anchor) / period - 1e-9));
    }
    this.arm();
  }

  private arm(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    const delay = this.deadline(this.nextIndex) - this.clock.now();
    this.timer = this.clock.setTimer(() => this.fire(), Math.max(0, delay));
  }

  private fire(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.clock.now();
    const due = this.deadline(this.nextIndex);
    if (due - now > EARLY_TOLERANCE_MS) {
      this.arm();
      return;
    }
    // Latest tick whose deadline has passed (epsilon: a deadline equal to now counts as passed).
    const latest = Math.max(
      this.nextIndex,
      Math.floor(((now - this.anchor) * this.hzValue) / 1000 + 1e-9),
    );
    // Overdue ticks inside the jitter window run late; older ones are missed (a stall).
    const jitter = this.opts.jitterMs ?? 50;
    let first = Math.max(this.nextIndex, latest - (this.opts.maxCatchUp ?? 4));
    while (first < latest && now - this.deadline(first) > jitter) first++;
    if (first > this.nextIndex) {
      const missed: MissedTicks = {
        count: first - this.nextIndex,
        start: due,
        end: this.deadline(first - 1),
      };
      this.stats_.missed += missed.count;
      this.safe(() => this.opts.onMissed?.(missed));
      if (!this.running) return;
    }
    const hzBefore = this.hzValue;
    for (let i = first; i <= latest; i++) {
      const tickTime = this.deadline(i);
      this.nextIndex = i + 1;
      this.lastTickTime = tickTime;
      this.stats_.ticks++;
      this.safe(() => this.opts.onTick(tickTime, i));
      // onTick may have stopped us or changed the rate (which re-armed already).
      if (!this.running || this.hzValue !== hzBefore) return;
    }
    if (this.timer === undefined) this.arm();
  }

  private safe(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}

function assertHz(hz: number): void {
  if (!Number.isFinite(hz) || hz <= 0)
    throw new RangeError(`scheduler rate must be a positive number of Hz, got ${hz}`);
}
