/**
 * Paused entries of the collectors outside the engine (cameras, gateway sensors), kept as the
 * engine keeps its own (paused.ts): an entry removed or disabled in a live config change, or
 * stopped by `capture_disabled`, is remembered with the last instant it accounted and why, so
 * the hole is one gap with its true reason (`method_disabled`, `capture_disabled`) when it
 * captures again, even across a restart (the checkpoint lists these entries too).
 */
import type { CapturePlan, PlanEntry } from '../config/plan.js';
import { metaFor } from './engine-plan.js';
import type { EntryOutput, RecordSink } from './entry-output.js';
import { pauseReasonOf, renamePauses, type PausedEntry } from './paused.js';

/** The last tick an output accounted (a read in flight lands at its tick). */
export function lastAccounted(out: EntryOutput): number | undefined {
  const last = Math.max(out.lastTime ?? -Infinity, out.inFlightTick ?? -Infinity);
  return Number.isFinite(last) ? last : undefined;
}

export class SidePauses {
  /**
   * `map`: entry key → paused entry (at start: the checkpoint's marks of this capture's entries,
   * `capture_stopped`). `elsewhere`: paused entries the engine took from the checkpoint because
   * the plan did not have them at start (a camera method disabled then), handed over on demand.
   */
  constructor(
    readonly map: Map<string, PausedEntry> = new Map(),
    private readonly elsewhere?: (key: string) => PausedEntry | undefined,
  ) {}

  /** A collector stopped because its entry is no longer wanted by `plan`. */
  pause(key: string, out: EntryOutput, plan: CapturePlan): void {
    const last = lastAccounted(out);
    if (last !== undefined) this.map.set(key, { last, reason: pauseReasonOf(plan) });
  }

  /** The pause of an entry that captures again (removed from the book). */
  take(key: string): PausedEntry | undefined {
    const p = this.map.get(key) ?? this.elsewhere?.(key);
    this.map.delete(key);
    return p;
  }

  /**
   * Entries paused and still not wanted whose cause changed (e.g. a removed method, then
   * capture_disabled): the span so far is written with its old reason. Only entries this capture
   * owns (`owns`) or that are not in the plan at all are looked at.
   */
  rename(
    plan: CapturePlan,
    want: ReadonlySet<string>,
    owns: (e: PlanEntry) => boolean,
    now: number,
    sink: RecordSink,
  ): void {
    const mine = new Map(
      [...this.map].filter(([k]) => {
        const e = plan.entries.find((x) => x.key === k);
        return e === undefined || owns(e);
      }),
    );
    renamePauses(mine, new Map([...want].map((k) => [k, true])), plan, now, sink, metaFor);
  }
}
