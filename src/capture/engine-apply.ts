/**
 * Applying a plan to the running capture engine (engine.ts), as a diff against what runs:
 *  1. boards that went away or changed: their collectors stop and the link closes;
 *  2. entries per board: unchanged ones keep running, changed ones restart after the old
 *     collector's last tick, new ones start (a paused entry's hole is accounted, paused.ts);
 *  3. new boards start connecting, and every board gets its new entry set.
 */
import type { BoardSource } from '../boards/board.js';
import { periodMs, type BoardSpec, type CapturePlan } from '../config/plan.js';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { BoardSession, type BackoffOptions } from './board-session.js';
import type { CaptureMetrics } from './capture-metrics.js';
import { EntryCollector, type CollectorOptions } from './collector.js';
import { boardFingerprint, desiredEntries, metaFor } from './engine-plan.js';
import { EntryOutput, type RecordSink } from './entry-output.js';
import {
  lastTick,
  pauseReasonOf,
  renamePauses,
  resumeAfterPause,
  type PausedEntry,
} from './paused.js';

export interface ApplySummary {
  added: string[];
  removed: string[];
  changed: string[];
  unchanged: string[];
  skipped: { key: string; why: string }[];
}

/** What the engine runs: board links, collectors, and entries paused (see engine.ts). */
export interface EngineState {
  sessions: Map<string, { session: BoardSession; fingerprint: string }>;
  running: Map<string, { fingerprint: string; collector: EntryCollector; boardId: string }>;
  paused: Map<string, PausedEntry>;
}

/** The engine's fixed parts an apply uses; `options` is the engine's own (holdMs is set here). */
export interface ApplyContext {
  registry: BoardSource;
  sink: RecordSink;
  clock: Clock;
  logger: Logger;
  metrics: CaptureMetrics;
  options: CollectorOptions;
  backoff: BackoffOptions;
  /** holdMs from the engine's options; absent = the plan's flush interval. */
  holdMs: number | undefined;
}

export function emptySummary(): ApplySummary {
  return { added: [], removed: [], changed: [], unchanged: [], skipped: [] };
}

function pause(s: EngineState, key: string, last: number, plan: CapturePlan): void {
  s.paused.set(key, { last, reason: pauseReasonOf(plan) });
}

/** Applies `plan` to `s` (call serialised: one apply at a time). */
export async function applyPlan(
  s: EngineState,
  c: ApplyContext,
  plan: CapturePlan,
): Promise<ApplySummary> {
  const summary = emptySummary();
  const { logger, clock } = c;
  c.options.holdMs = c.holdMs ?? plan.dataManager.flush_interval_ms;
  const want = desiredEntries(plan, summary.skipped);
  const wantBoards = new Map<string, BoardSpec>();
  for (const d of want.values()) {
    const b = plan.boards.find((x) => x.id === d.entry.boardId);
    if (b !== undefined) wantBoards.set(b.id, b);
  }

  // 1. Boards that went away or changed: stop their collectors and close the link.
  const lastOf = new Map<string, number>();
  const closing: Promise<void>[] = [];
  for (const [id, link] of s.sessions) {
    const b = wantBoards.get(id);
    if (b === undefined || boardFingerprint(b) !== link.fingerprint) {
      s.sessions.delete(id);
      for (const [key, r] of s.running) {
        if (r.boardId !== id) continue;
        s.running.delete(key);
        const d = want.get(key);
        const last = lastTick(r.collector);
        if (d === undefined) {
          summary.removed.push(key);
          if (last !== undefined) pause(s, key, last, plan);
        } else {
          summary.changed.push(key);
          if (last !== undefined) lastOf.set(key, last);
        }
      }
      closing.push(link.session.close());
    }
  }
  await Promise.all(closing);

  // 2. Entries per board: keep the unchanged ones, restart the changed ones.
  const perBoard = new Map<string, { add: EntryCollector[]; remove: string[] }>();
  const slot = (id: string) => {
    let t = perBoard.get(id);
    if (t === undefined) perBoard.set(id, (t = { add: [], remove: [] }));
    return t;
  };
  for (const [key, r] of s.running) {
    const d = want.get(key);
    if (d !== undefined && d.fingerprint === r.fingerprint) {
      summary.unchanged.push(key);
      continue;
    }
    s.running.delete(key);
    // The new grid continues after the old collector's last tick (a read in flight still lands).
    const last = lastTick(r.collector);
    if (last !== undefined) {
      if (d === undefined) pause(s, key, last, plan);
      else lastOf.set(key, last);
    }
    slot(r.boardId).remove.push(key);
    (d === undefined ? summary.removed : summary.changed).push(key);
  }
  // entries paused and still not wanted: the cause may have changed (paused.ts)
  renamePauses(s.paused, want, plan, clock.now(), c.sink, metaFor);
  for (const [key, d] of want) {
    if (s.running.has(key)) continue;
    if (!summary.changed.includes(key)) summary.added.push(key);
    const out = new EntryOutput(
      key,
      d.entry.boardId,
      d.meta,
      c.sink,
      c.metrics,
      c.options.holdMs,
      periodMs(d.entry.hz),
    );
    const paused = s.paused.get(key);
    s.paused.delete(key);
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
        metrics: c.metrics,
        options: c.options,
      },
      after,
      resumeAt,
    );
    s.running.set(key, { fingerprint: d.fingerprint, collector, boardId: d.entry.boardId });
    slot(d.entry.boardId).add.push(collector);
  }

  // 3. New boards start connecting; every board gets its new entry set.
  for (const [id, spec] of wantBoards) {
    if (!s.sessions.has(id)) {
      const session = new BoardSession(spec, {
        registry: c.registry,
        clock,
        logger: logger.child({ board: id }),
        metrics: c.metrics,
        options: c.options,
        backoff: c.backoff,
      });
      s.sessions.set(id, { session, fingerprint: boardFingerprint(spec) });
      session.start();
    }
  }
  await Promise.all(
    [...perBoard].map(async ([id, todo]) => {
      const session = s.sessions.get(id)?.session;
      if (session === undefined) {
        await Promise.all(todo.add.map((col) => col.stop()));
        return;
      }
      await session
        .setEntries(todo.add, todo.remove)
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
