/**
 * Injected time. Everything that schedules or timestamps takes a Clock, so tests can drive time.
 * `now()` is wall-clock milliseconds since the epoch with sub-millisecond resolution, derived from
 * the monotonic clock (performance.now) so it never jumps backwards while the process runs.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

let nextRealId = 1;

export const realClock: Clock = (() => {
  const origin = performance.timeOrigin;
  const timers = new Map<number, NodeJS.Timeout>();
  return {
    now: () => origin + performance.now(),
    setTimer(fn, delayMs) {
      const id = nextRealId++;
      const t = setTimeout(
        () => {
          timers.delete(id);
          fn();
        },
        Math.max(0, delayMs),
      );
      timers.set(id, t);
      return { id };
    },
    clearTimer(handle) {
      const t = timers.get(handle.id);
      if (t !== undefined) {
        clearTimeout(t);
        timers.delete(handle.id);
      }
    },
  };
})();

/**
 * A first-class fake clock: time moves only when the test says so. `advance(ms)` runs every timer
 * that falls due, in deadline order, with `now()` set to each timer's deadline while it runs.
 * `stall(ms)` jumps time forward without running timers in between (as a blocked event loop does).
 */
export class FakeClock implements Clock {
  private current: number;
  private seq = 1;
  private readonly timers = new Map<number, { due: number; fn: () => void; order: number }>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = this.seq++;
    this.timers.set(id, { due: this.current + Math.max(0, delayMs), fn, order: id });
    return { id };
  }

  clearTimer(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  pending(): number {
    return this.timers.size;
  }

  /** Advance time by `ms`, firing due timers in order (timers set while firing are honoured). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId = -1;
      let next: { due: number; fn: () => void; order: number } | undefined;
      for (const [id, t] of this.timers) {
        if (
          t.due <= target &&
          (next === undefined || t.due < next.due || (t.due === next.due && t.order < next.order))
        ) {
          next = t;
          nextId = id;
        }
      }
      if (next === undefined) break;
      this.timers.delete(nextId);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
  }

  /** Jump forward without firing anything in between; due timers fire on the next advance(0). */
  stall(ms: number): void {
    this.current += ms;
  }
}
