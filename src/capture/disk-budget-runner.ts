/** Running the disk budget (disk-budget.ts): at start, after every finished file, on an interval. */
import type { Clock, TimerHandle } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import { enforceDiskBudget, type DiskBudgetOptions } from './disk-budget.js';

/**
 * Runs enforceDiskBudget at `start()`, whenever `kick()` is called (a capture file was finished)
 * and every `intervalMs` on the injected clock. Checks never overlap; kicks during a check
 * coalesce into one more check.
 */
export class DiskBudgetRunner {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  readonly intervalMs: number;

  constructor(
    private readonly opts: DiskBudgetOptions & {
      clock: Clock;
      intervalMs?: number;
      /** The dirs to check now (live capture_dir change: the current one and those draining). */
      dirs?: () => Pick<DiskBudgetOptions, 'dir' | 'drainingDirs'>;
    },
  ) {
    this.intervalMs = Math.max(1, opts.intervalMs ?? 30_000);
  }

  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Check soon (now if idle, else once the running check ends). */
  kick(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
    const dirs: Partial<Pick<DiskBudgetOptions, 'dir' | 'drainingDirs'>> = this.opts.dirs?.() ?? {};
    this.running = enforceDiskBudget({ ...this.opts, ...dirs })
      .then(
        () => undefined,
        (err: unknown) =>
          this.opts.logger.error(
            { dir: dirs.dir ?? this.opts.dir, err: errorMessage(err) },
            'disk budget check failed',
          ),
      )
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.kick();
        } else this.timer = this.opts.clock.setTimer(() => this.kick(), this.intervalMs);
      });
  }

  /** Resolves when a check started before it has ended. */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
