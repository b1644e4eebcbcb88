/**
 * Reads on a Firmata board wait for reports the board sends (analog samples, port messages): a
 * read waits until `count` more reports of its key have arrived, or rejects with BOARD_TIMEOUT.
 * One instance per board, so a lost link rejects every waiting read in the order they started.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { WharfError } from '../../shared/errors.js';

interface Waiter {
  after: number;
  resolve: () => void;
}

export class ReportWaiters {
  private readonly byKey = new Map<string, Set<Waiter>>();
  private readonly pending = new Set<{ reject: (e: Error) => void; timer: TimerHandle }>();

  constructor(private readonly clock: Clock) {}

  /** Resolves after `count` more `arrived(key)` calls; rejects with `timeoutMessage` after `timeoutMs`. */
  wait(key: string, count: number, timeoutMs: number, timeoutMessage: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let set = this.byKey.get(key);
      if (set === undefined) this.byKey.set(key, (set = new Set()));
      const entry = {
        reject: (e: Error) => {
          set!.delete(w);
          this.clock.clearTimer(entry.timer);
          this.pending.delete(entry);
          reject(e);
        },
        timer: this.clock.setTimer(
          () => entry.reject(new WharfError('BOARD_TIMEOUT', timeoutMessage)),
          timeoutMs,
        ),
      };
      const w: Waiter = {
        after: count,
        resolve: () => {
          this.clock.clearTimer(entry.timer);
          this.pending.delete(entry);
          resolve();
        },
      };
      set.add(w);
      this.pending.add(entry);
    });
  }

  /** One report of `key` arrived. */
  arrived(key: string): void {
    const set = this.byKey.get(key);
    if (set === undefined) return;
    for (const w of [...set]) {
      w.after--;
      if (w.after <= 0) {
        set.delete(w);
        w.resolve();
      }
    }
  }

  rejectAll(err: Error): void {
    for (const w of [...this.pending]) w.reject(err);
  }
}
