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
 * record into one `capture_stopped` gap.
 */
import type { BoardSource } from '../boards/board.js';
import { periodMs, type BoardSpec, type CapturePlan } from '../config/plan.js';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import { BoardSession, type BackoffOptions } from './board-session.js';
import { CaptureMetrics } from './capture-metrics.js';
import { EntryCollector, type CollectorOptions } from './collector.js';
import { boardFingerprint, desiredEntries, metaFor } from './engine-plan.js';
import { EntryOutput, type RecordSink } from './entry-output.js';
import {
  lastTick,
  pauseReasonOf,
  renamePauses,
  resumeAfterPause,
  type PauseReason,
  type PausedEntry,
} from './paused.js';

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

export interface ApplySummary {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
  skipped: { key: string; why: string }[];
}

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

  private pause(key: string, last: number, plan: CapturePlan): void {
    this.paused.set(key, { last, reason: pauseReasonOf(plan) });
  }

  private async applyNow(plan: CapturePlan): Promise<ApplySummary> {
    const summary: ApplySummary = {
      added: [],
      removed: [],
      changed: [],
      unchanged: [],
      skipped: [],
    };
    if (this.stopped) return summary;
    const { logger, clock } = this.deps;
    this.options.holdMs = this.deps.options?.holdMs ?? plan.dataManager.flush_interval_ms;
    const want = desiredEntries(plan, summary.skipped);
    const wantBoards = new Map<string, BoardSpec>();
    for (const d of want.values()) {
      const b = plan.boards.find((x) => x.id === d.entry.boardId);
      if (b !== undefined) wantBoards.set(b.id, b);
    }

    // 1. Boards that went away or changed: stop their collectors and close the link.
    const lastOf = new Map<string, number>();
    const closing: Promise<void>[] = [];
    for (const [id, s] of this.sessions) {
      const b = wantBoards.get(id);
      if (b === undefined || boardFingerprint(b) !== s.fingerprint) {
        this.sessions.delete(id);
        for (const [key, r] of this.running) {
          if (r.boardId !== id) continue;
          this.running.delete(key);
          const d = want.get(key);
          const last = lastTick(r.collector);
          if (d === undefined) {
            summary.removed.push(key);
            if (last !== undefined) this.pause(key, last, plan);
          } else {
            summary.changed.push(key);
            if (last !== undefined) lastOf.set(key, last);
          }
        }
        closing.push(s.session.close());
      }
    }
    await Promise.all(closing);

    // 2. Entries per board: keep the unchanged ones, restart the changed ones.
    const perBoard = new Map<string, { add: EntryCollector[]; remove: string[] }>();
    const slot = (id: string) => {
      let s = perBoard.get(id);
      if (s === undefined) perBoard.set(id, (s = { add: [], remove: [] }));
      return s;
    };
    for (const [key, r] of this.running) {
      const d = want.get(key);
      if (d !== undefined && d.fingerprint === r.fingerprint) {
        summary.unchanged.push(key);
        continue;
      }
      this.running.delete(key);
      // The new grid continues after the old collector's last tick (a read in flight still lands).
      const last = lastTick(r.collector);
      if (last !== undefined) {
        if (d === undefined) this.pause(key, last, plan);
        else lastOf.set(key, last);
      }
      slot(r.boardId).remove.push(key);
      (d === undefined ? summary.removed : summary.changed).push(key);
    }
    // entries paused and still not wanted: the cause may have changed (paused.ts)
    renamePauses(this.paused, want, plan, clock.now(), this.deps.sink, metaFor);
    for (const [key, d] of want) {
      if (this.running.has(key)) continue;
      if (!summary.changed.includes(key)) summary.added.push(key);
      const out = new EntryOutput(
        key,
        d.entry.boardId,
        d.meta,
        this.deps.sink,
        this.metrics,
        this.options.holdMs,
        periodMs(d.entry.hz),
      );
      const paused = this.paused.get(key);
      this.paused.delete(key);
      const { after, resumeAt } = resumeAfterPause(
        out,
        paused,
        lastOf.get(key),
        periodMs(d.entry.hz),
        clock.now(),
      );
      const collector = new EntryCollector(
        d.entry,
        out,
        {
          clock,
          logger: logger.child({ entry: key }),
          metrics: this.metrics,
          options: this.options,
        },
        after,
        resumeAt,
      );
      this.running.set(key, { fingerprint: d.fingerprint, collector, boardId: d.entry.boardId });
      slot(d.entry.boardId).add.push(collector);
    }

    // 3. New boards start connecting; every board gets its new entry set.
    for (const [id, spec] of wantBoards) {
      if (!this.sessions.has(id)) {
        const session = new BoardSession(spec, {
          registry: this.deps.registry,
          clock,
          logger: logger.child({ board: id }),
          metrics: this.metrics,
          options: this.options,
          backoff: this.backoff,
        });
        this.sessions.set(id, { session, fingerprint: boardFingerprint(spec) });
        session.start();
      }
    }
    await Promise.all(
      [...perBoard].map(async ([id, s]) => {
        const session = this.sessions.get(id)?.session;
        if (session === undefined) {
          await Promise.all(s.add.map((c) => c.stop()));
          return;
        }
        await session
          .setEntries(s.add, s.remove)
          .catch((err: unknown) =>
            logger.error({ board: id, err: errorMessage(err) }, 'applying entries failed'),
          );
      }),
    );
    logger.info(
      {
        added: summary.added.length,
        changed: summary.changed.length,
        removed: summary.removed.length,
        unchanged: summary.unchanged.length,
        skipped: summary.skipped.length,
      },
      'capture plan applied',
    );
    return summary;
  }
}
