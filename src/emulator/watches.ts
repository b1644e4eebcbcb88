/**
 * Espruino's `setWatch` on an emulated board: GPIO levels driven from outside (a test, the bench:
 * `drive`, `pulses`) and watches that see their edges, with Espruino's debounce (an edge is reported
 * once the level has stayed put for `debounce` ms). Callbacks run on the board's event loop.
 * A pin that is never driven reads its scripted Signal; watches only see driven levels.
 */
import type { Clock, TimerHandle } from '../shared/clock.js';
import type { BoardTimers } from './timers.js';

interface Watch {
  pin: string;
  edge: 'rising' | 'falling' | 'both';
  debounce: number;
  repeat: boolean;
  fn: (e: { state: boolean; time: number; lastTime: number | undefined }) => void;
  /** the level last reported (after debounce) */
  stable: number;
  lastTime: number | undefined;
  timer: TimerHandle | undefined;
}

export interface PulseOptions {
  /** ms high and low per pulse (default 10 each) */
  highMs?: number;
  lowMs?: number;
  /** contact bounce: extra low→high flickers 1 ms apart at each rising edge (default 0) */
  bounces?: number;
}

export class PinWatches {
  private readonly levels = new Map<string, number>();
  private readonly watches = new Map<number, Watch>();
  private next = 1;
  /** Pulse trains run while this is unchanged (stopTrains() bumps it). */
  private trains = 0;

  constructor(
    private readonly clock: Clock,
    private readonly timers: () => BoardTimers,
  ) {}

  /** The driven level of `pin`, or undefined when nothing drives it. */
  level(pin: string): number | undefined {
    return this.levels.get(pin);
  }

  add(
    fn: Watch['fn'],
    pin: string,
    opts: { repeat?: boolean; edge?: string; debounce?: number } = {},
    initial = 0,
  ): number {
    if (typeof fn !== 'function') throw new TypeError('setWatch: expected a function');
    const edge = opts.edge === 'falling' || opts.edge === 'both' ? opts.edge : 'rising';
    const id = this.next++;
    this.watches.set(id, {
      pin,
      edge,
      debounce: Math.max(0, Number(opts.debounce) || 0),
      repeat: opts.repeat === true,
      fn,
      stable: this.levels.get(pin) ?? initial,
      lastTime: undefined,
      timer: undefined,
    });
    return id;
  }

  clear(id: unknown): void {
    const w = this.watches.get(Number(id));
    if (w?.timer !== undefined) this.clock.clearTimer(w.timer);
    this.watches.delete(Number(id));
  }

  /** Reboot: every watch gone (the levels are the outside world's and stay). */
  reset(): void {
    for (const id of [...this.watches.keys()]) this.clear(id);
  }

  /** Sets the level of a pin from outside; watches see the edge. */
  drive(pin: string, level: number): void {
    const v = level ? 1 : 0;
    if (this.levels.get(pin) === v) return;
    this.levels.set(pin, v);
    for (const [id, w] of this.watches) {
      if (w.pin !== pin) continue;
      if (w.debounce === 0) {
        this.settle(id, w, v);
        continue;
      }
      if (w.timer !== undefined) this.clock.clearTimer(w.timer);
      w.timer = this.clock.setTimer(() => {
        w.timer = undefined;
        this.settle(id, w, this.levels.get(pin) ?? 0);
      }, w.debounce);
    }
  }

  /**
   * `n` pulses on `pin` (low → high → low), each transition a host timer; resolves after the last.
   * Steps are made as they go, so a long train (a flow meter running for hours) costs nothing up front.
   */
  pulses(pin: string, n: number, o: PulseOptions = {}): Promise<void> {
    const high = o.highMs ?? 10;
    const low = o.lowMs ?? 10;
    const per = 2 * (o.bounces ?? 0) + 2; // transitions per pulse
    const step = (i: number): [number, number] => {
      const j = i % per;
      if (j < per - 2) return [j % 2 === 0 ? 1 : 0, 1]; // a bounce: 1 ms flickers
      return j === per - 2 ? [1, high] : [0, low];
    };
    const gen = this.trains;
    return new Promise((resolve) => {
      const run = (i: number) => {
        if (i >= n * per || gen !== this.trains) return resolve();
        const [level, hold] = step(i);
        this.drive(pin, level);
        this.clock.setTimer(() => run(i + 1), hold);
      };
      this.drive(pin, 0);
      run(0);
    });
  }

  /** Ends every pulse train (the board is switched off for good). */
  stopTrains(): void {
    this.trains++;
  }

  private settle(id: number, w: Watch, v: number): void {
    if (v === w.stable) return;
    w.stable = v;
    if (w.edge === 'rising' ? v !== 1 : w.edge === 'falling' ? v !== 0 : false) return;
    if (!w.repeat) this.clear(id);
    const t = this.timers();
    const time = t.boardMs() / 1000;
    const e = { state: v === 1, time, lastTime: w.lastTime };
    w.lastTime = time;
    t.defer(() => w.fn(e));
  }
}
