/**
 * FlushLoop: every `intervalMs` it writes pending gaps, flushes the store, then the checkpoint
 * (checkpoint.ts). The store also flushes on its own timer; the checkpoint may lag by one interval,
 * which only makes the gap after a crash start a little early (an over-, never an under-statement).
 */
import type { Clock, TimerHandle } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { EntryOutput } from './entry-output.js';
import type { CaptureEngine, PausedEntry } from './engine.js';
import type { PauseReason } from './paused.js';
import { writeCheckpoint } from './checkpoint.js';

/** What FlushLoop needs from a store. */
export interface Flushable {
  flush(): Promise<void>;
}

export class FlushLoop {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastError: string | null = null;
  private lastLogged = -Infinity;
  private dir: string;

  constructor(
    private readonly o: {
      engine: CaptureEngine;
      /** Outputs of collectors outside the engine (cameras, gateway sensors): flushed and checkpointed too. */
      extraOutputs?: () => EntryOutput[];
      /** Paused entries of those collectors (removed, disabled): checkpointed with their reason. */
      extraPaused?: () => Iterable<[string, PausedEntry]>;
      store: Flushable;
      dir: string;
      clock: Clock;
      logger: Logger;
      intervalMs: number;
      metrics?: Metrics;
    },
  ) {
    this.dir = o.dir;
  }

  /** Where the checkpoint goes from the next flush on (a live capture_dir change). */
  setDir(dir: string): void {
    this.dir = dir;
  }

  start(): void {
    this.arm();
  }

  /** Pending gaps → store → disk, then the checkpoint. Serialised. */
  flushNow(): Promise<void> {
    const prev = this.running ?? Promise.resolve();
    const p = prev.then(() => this.once());
    this.running = p.finally(() => {
      if (this.running === p) this.running = undefined;
    });
    return p;
  }

  /** Final flush; the loop ends. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.flushNow();
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimer(() => {
      this.timer = undefined;
      this.flushNow()
        .catch(() => undefined)
        .finally(() => this.arm());
    }, this.o.intervalMs);
  }

  private async once(): Promise<void> {
    const { engine, store, clock, logger, metrics } = this.o;
    engine.flushGaps();
    const snapshot = new Map<string, number>();
    const reasons = new Map<string, PauseReason>();
    // entries not capturing keep their mark (and why), so their hole is accounted when they resume
    for (const [key, p] of [...engine.pausedEntries(), ...(this.o.extraPaused?.() ?? [])]) {
      snapshot.set(key, p.last);
      reasons.set(key, p.reason);
    }
    const extra = this.o.extraOutputs?.() ?? [];
    for (const out of extra) out.flushGap();
    for (const out of [...engine.outputs(), ...extra]) {
      const mark = out.mark();
      if (mark !== undefined) {
        snapshot.set(out.key, mark);
        reasons.delete(out.key);
      }
    }
    try {
      await store.flush();
    } catch (err) {
      metrics
        ?.counter('wharf_flush_errors_total', 'Flushes of the capture store that failed.')
        .inc();
      // once per distinct error and at most once a minute while it lasts (a full disk fails
      // every flush; the store logs each new error itself)
      const msg = errorMessage(err);
      const now = clock.now();
      if (msg !== this.lastError || now - this.lastLogged >= 60_000) {
        this.lastError = msg;
        this.lastLogged = now;
        logger.error({ err: msg }, 'capture flush failed; records stay queued and are retried');
      }
      return;
    }
    this.lastError = null;
    try {
      await writeCheckpoint(this.dir, snapshot, clock.now(), reasons);
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'writing the capture checkpoint failed');
    }
  }
}
