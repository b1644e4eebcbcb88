/**
 * Espruino's timers on an injected Clock (real or virtual time): setTimeout/setInterval with ids,
 * setInterval on an absolute schedule (as Espruino does), optional clock drift in ppm. Callbacks
 * that throw are reported (Espruino prints "Uncaught …" and carries on), never crash the host.
 */
import type { Clock, TimerHandle } from '../shared/clock.js';

export class BoardTimers {
  private next = 1;
  private readonly live = new Map<number, TimerHandle>();
  private bootAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
    /** board clock runs fast by this many parts per million (negative: slow) */
    private readonly driftPpm = 0,
  ) {
    this.bootAt = clock.now();
  }

  /** Board ms since boot. */
  boardMs(): number {
    return (this.clock.now() - this.bootAt) * (1 + this.driftPpm / 1e6);
  }

  private hostDelay(boardDelay: number): number {
    return Math.max(0, boardDelay) / (1 + this.driftPpm / 1e6);
  }

  /** The host clock's ms at board time `boardMs` (this boot). */
  toHostMs(boardMs: number): number {
    return this.bootAt + boardMs / (1 + this.driftPpm / 1e6);
  }

  /** Board reboot: every timer gone, the clock starts again at 0. */
  reset(): void {
    for (const h of this.live.values()) this.clock.clearTimer(h);
    this.live.clear();
    this.bootAt = this.clock.now();
  }

  /** Runs `fn` on the board's event loop soon (I/O delivery). */
  defer(fn: () => void): void {
    this.setTimeout(fn, 0);
  }

  count(): number {
    return this.live.size;
  }

  setTimeout(fn: () => void, ms: number): number {
    if (typeof fn !== 'function') throw new TypeError('setTimeout: expected a function');
    const id = this.next++;
    this.armAt(id, this.clock.now() + this.hostDelay(Number(ms) || 0), () => {
      this.live.delete(id);
      this.run(fn);
    });
    return id;
  }

  /** Fires at host time `due`, never before (Node's timers round fractional ms down and fire early). */
  private armAt(id: number, due: number, fire: () => void): void {
    this.live.set(
      id,
      this.clock.setTimer(() => {
        if (this.clock.now() < due - 0.001) this.armAt(id, due, fire);
        else fire();
      }, due - this.clock.now()),
    );
  }

  setInterval(fn: () => void, ms: number): number {
    if (typeof fn !== 'function') throw new TypeError('setInterval: expected a function');
    const id = this.next++;
    const period = Math.max(1, Number(ms) || 0);
    let due = this.boardMs() + period;
    const arm = () => {
      this.armAt(id, this.clock.now() + this.hostDelay(due - this.boardMs()), () => {
        due += period;
        arm();
        this.run(fn);
      });
    };
    arm();
    return id;
  }

  clear(id: unknown): void {
    const h = this.live.get(Number(id));
    if (h) {
      this.clock.clearTimer(h);
      this.live.delete(Number(id));
    }
  }

  private run(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onError(err);
    }
  }
}
