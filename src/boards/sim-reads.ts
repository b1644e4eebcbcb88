/**
 * The sim board's polled reads: answered after the simulated latency from the simulated hardware,
 * rejected with probability `fail` (BOARD_PROTOCOL, as a firmware `err` answer would) or with
 * BOARD_TIMEOUT when the latency is not below the read's timeout; pending reads fail together
 * when the link goes.
 */
import type { CaptureMethod } from './board.js';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { WharfError } from '../shared/errors.js';
import type { ReadingData } from '../shared/record.js';
import type { SimHardware } from './sim-hardware.js';

interface PendingRead {
  reject: (err: Error) => void;
  timer: TimerHandle;
}

export interface SimReadCounts {
  reads: number;
  failedReads: number;
}

export class SimReads {
  private readonly pending = new Set<PendingRead>();

  constructor(
    private readonly id: string,
    private readonly clock: Clock,
    private readonly hw: SimHardware,
    private readonly rng: () => number,
    private readonly latencyMs: () => number,
    private readonly failRate: () => number,
    private readonly counts: SimReadCounts,
  ) {}

  /** A read that passed the board's checks (online, known readers). */
  answer(method: CaptureMethod, readers: string[], timeoutMs: number): Promise<ReadingData> {
    const failRate = this.failRate();
    const fail = failRate > 0 && this.rng() < failRate;
    const latency = this.latencyMs();
    return new Promise<ReadingData>((resolve, reject) => {
      const finish = (fn: () => void) => {
        this.clock.clearTimer(p.timer);
        this.pending.delete(p);
        fn();
      };
      const p: PendingRead = {
        reject: (err) => finish(() => reject(err)),
        timer: this.clock.setTimer(
          () => {
            // Answer (or time out) after the simulated latency.
            this.pending.delete(p);
            if (latency >= timeoutMs) {
              this.counts.failedReads++;
              reject(
                new WharfError(
                  'BOARD_TIMEOUT',
                  `sim board ${this.id}: no answer to read ${method} ${readers.join(',')} within ${timeoutMs} ms`,
                ),
              );
            } else if (fail) {
              this.counts.failedReads++;
              reject(
                new WharfError(
                  'BOARD_PROTOCOL',
                  `sim board ${this.id}: read ${method} ${readers.join(',')} failed (simulated, fail=${this.failRate()})`,
                ),
              );
            } else {
              resolve(this.hw.sample(method, readers, this.clock.now()));
            }
          },
          Math.min(latency, timeoutMs),
        ),
      };
      this.pending.add(p);
    });
  }

  /** The link went: every pending read fails with `err`. */
  rejectAll(err: Error): void {
    for (const p of [...this.pending]) p.reject(err);
  }
}
