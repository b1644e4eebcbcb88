/**
 * The sim board's simulated link: up or down, a random drop about every `disconnect` ms once
 * online, and the link coming back `down` ms after a drop. `dropLink()`/`restoreLink()` drive it
 * by hand. Time from the injected clock, randomness from the board's seeded generator.
 */
import type { Clock, TimerHandle } from '../shared/clock.js';

export class SimLink {
  private isUp = true;
  private dropTimer: TimerHandle | undefined;
  private restoreTimer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly rng: () => number,
    private readonly o: { disconnectEveryMs: number; downMs: number },
    /** The scheduled drop happened. */
    private readonly dropped: (reason: string) => void,
  ) {}

  get up(): boolean {
    return this.isUp;
  }

  cut(): void {
    this.isUp = false;
  }

  restore(): void {
    this.isUp = true;
  }

  /** Online now: schedule the next random drop (when the address asks for drops). */
  scheduleDrop(): void {
    if (this.o.disconnectEveryMs <= 0 || this.dropTimer !== undefined) return;
    const delay = this.o.disconnectEveryMs * (0.5 + this.rng());
    this.dropTimer = this.clock.setTimer(() => {
      this.dropTimer = undefined;
      this.dropped('simulated disconnect');
    }, delay);
  }

  /** The board went offline (the link comes back after `downMs`) or closed (nothing more). */
  wentDown(closed: boolean): void {
    for (const t of [this.dropTimer, this.restoreTimer])
      if (t !== undefined) this.clock.clearTimer(t);
    this.dropTimer = undefined;
    this.restoreTimer = undefined;
    if (!closed && this.o.disconnectEveryMs > 0) {
      this.restoreTimer = this.clock.setTimer(() => {
        this.restoreTimer = undefined;
        this.isUp = true;
      }, this.o.downMs);
    }
  }
}
