/**
 * The capture engine: runs one collector per plan entry, owns the board links (through the
 * transport registry), and applies new plans live.
 *
 * apply(plan) diffs against the running plan:
 *  - an entry whose definition (board, method, readers, Hz, params, tags, record header) and board
 *    link are unchanged keeps running untouched (no lost or repeated reading);
 *  - a changed entry is stopped (pending gaps and in-flight reads recorded) and started anew;
 *  - removed entries stop; a board whose address/secret/hardware changed reconnects;
 *  - `capture_disabled` stops every collector and closes the boards.
 * Unsupported entries (no board read for the method) are never scheduled.
 *
 * After a restart, `resume` (from the checkpoint) turns the time since each entry's last durable
 * record into one `capture_stopped` gap. The diff itself is engine-apply.ts.
 */
import type { BoardSource } from '../boards/board.js';
import type { CapturePlan } from '../config/plan.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import type { BackoffOptions, BoardSession } from './board-session.js';
import { CaptureMetrics } from './capture-metrics.js';
import type { CollectorOptions, EntryCollector } from './collector.js';
import { applyPlan, emptySummary, type ApplySummary } from './engine-apply.js';
import type { EntryOutput, RecordSink } from './entry-output.js';
import type { PauseReason, PausedEntry } from './paused.js';

export type { PauseReason, PausedEntry } from './paused.js';

export interface EngineOptions extends Partial<CollectorOptions> {
  backoff?: Partial<BackoffOptions>;
}

export interface EngineDeps {
  registry: BoardSource;
  sink: RecordSink;
  clock: Clock;
  logger: Logger;
  metrics?: Metrics;
  options?: EngineOptions;
  /** Entry key → time of its last durable record before this process started (checkpoint). */
  resume?: Map<string, number>;
  /**
   * Entry key → why it was not capturing when the checkpoint was written (capture_disabled, a
   * disabled method, a capture_dir switch); absent = the gateway stopped (capture_stopped).
   */
  resumeReasons?: Map<string, PauseReason>;
}

export type { ApplySummary } from './engine-apply.js';

export class CaptureEngine {
  readonly metrics: CaptureMetrics;
  private readonly options: CollectorOptions;
  private readonly backoff: BackoffOptions;
  private readonly sessions = new Map<string, { session: BoardSession; fingerprint: string }>();
  private readonly running = new Map<
    string,
    { fingerprint: string; collector: EntryCollector; boardId: string }
  >();
  private queue: Promise<unknown> = Promise.resolve();
  /** Entries not capturing now that captured before (this run or, from the checkpoint, an earlier one). */
  private readonly paused = new Map<string, PausedEntry>();
  private stopped = false;

  constructor(private readonly deps: EngineDeps) {
    this.metrics = new CaptureMetrics(deps.metrics ?? new Metrics());
    const o = deps.options ?? {};
    this.options = {
      streamAboveHz: o.streamAboveHz ?? 2,
      readTimeoutMs: o.readTimeoutMs ?? 1000,
      holdMs: o.holdMs ?? 1000,
    };
    this.backoff = { initialMs: o.backoff?.initialMs ?? 250, maxMs: o.backoff?.maxMs ?? 30_000 };
    for (const [key, last] of deps.resume ?? [])
      this.paused.set(key, { last, reason: deps.resumeReasons?.get(key) ?? 'capture_stopped' });
    this.metrics.registry.onCollect(() => {
      const counts = { polled: 0, streamed: 0, waiting: 0 };
      for (const r of this.running.values()) counts[r.collector.mode]++;
      for (const [mode, n] of Object.entries(counts)) this.metrics.collectors.set({ mode }, n);
    });
  }

  /** Apply a plan live (serialised: a second apply waits for the first). */
  apply(plan: CapturePlan): Promise<ApplySummary> {
    const run = () => this.applyNow(plan);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p.then(
      (s) => {
        this.metrics.planApplies.inc({ result: 'ok' });
        return s;
      },
      (err: unknown) => {
        this.metrics.planApplies.inc({ result: 'failed' });
        throw err;
      },
    );
  }

  /** Running collectors' outputs (for the checkpoint and the periodic gap flush). */
  outputs(): EntryOutput[] {
    return [...this.running.values()].map((r) => r.collector.out);
  }

  /**
   * Entries that are not capturing (disabled, removed, not started yet after a restart) with the
   * last instant accounted for each: kept in the checkpoint, so the hole is accounted when they
   * capture again, even after a restart.
   */
  pausedEntries(): ReadonlyMap<string, PausedEntry> {
    return this.paused;
  }

  /**
   * Hands a paused entry over to the capture that runs it (cameras, gateway sensors: an entry the
   * checkpoint had but the plan at start did not, e.g. a camera method disabled then).
   */
  takePaused(key: string): PausedEntry | undefined {
    const p = this.paused.get(key);
    this.paused.delete(key);
    return p;
  }

  /** Per-entry status for `/status` and the CLI. */
  status(): { key: string; board: string; mode: string; hz: number; online: boolean }[] {
    if (this.stopped) return [];
    return [...this.running.values()].map((r) => ({
      key: r.collector.entry.key,
      board: r.boardId,
      mode: r.collector.mode,
      hz: r.collector.entry.hz,
      online: this.sessions.get(r.boardId)?.session.online ?? false,
    }));
  }

  /** Write pending (merged) gaps of every collector to the sink now. */
  flushGaps(): void {
    for (const r of this.running.values()) {
      r.collector.accountOffline();
      r.collector.out.flushGap();
    }
  }

  /** Stop every collector (recording what is pending) and close every board. */
  async stop(): Promise<void> {
    this.stopped = true;
    // The collectors stay listed (stopped) so the final checkpoint still has their last times.
    const run = async () => {
      await Promise.all([...this.sessions.values()].map((s) => s.session.close()));
      await Promise.all([...this.running.values()].map((r) => r.collector.stop()));
      this.sessions.clear();
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    await p;
  }

  private applyNow(plan: CapturePlan): Promise<ApplySummary> {
    if (this.stopped) return Promise.resolve(emptySummary());
    const { registry, sink, clock, logger } = this.deps;
    return applyPlan(
      { sessions: this.sessions, running: this.running, paused: this.paused },
      {
        registry,
        sink,
        clock,
        logger,
        metrics: this.metrics,
        options: this.options,
        backoff: this.backoff,
        holdMs: this.deps.options?.holdMs,
      },
      plan,
    );
  }
}
