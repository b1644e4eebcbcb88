/**
 * Entries that are not capturing (capture_disabled, a disabled or removed method, not started yet
 * after a restart): the last instant accounted for each and why, so the engine writes one gap with
 * the true reason when the entry captures again. Kept in the checkpoint across restarts.
 */
import { periodMs } from '../config/plan.js';
import type { CapturePlan, PlanEntry } from '../config/plan.js';
import type { CaptureMeta, GapReason } from '../shared/record.js';
import type { EntryCollector } from './collector.js';
import type { EntryOutput, RecordSink } from './entry-output.js';

/** Why an entry is not capturing, for the gap written when it captures again. */
export type PauseReason = Extract<
  GapReason,
  'capture_stopped' | 'capture_disabled' | 'method_disabled' | 'capture_dir_changed'
>;

export const PAUSE_DETAIL: Record<PauseReason, string> = {
  capture_stopped: 'gateway was not running (stopped or crashed)',
  capture_disabled: 'capture_disabled was set',
  method_disabled: 'the capture method was disabled or not in the config',
  capture_dir_changed:
    'the gateway restarted into a new capture_dir; the data before is in the previous one',
};

/** An entry not capturing: the last instant accounted for it, and why it stopped. */
export interface PausedEntry {
  last: number;
  reason: PauseReason;
}

/** Why an entry of `plan` is not capturing: capture is off as a whole, or this method is. */
export function pauseReasonOf(plan: CapturePlan): PauseReason {
  if (plan.dataManager.capture_disabled) return 'capture_disabled';
  return 'method_disabled';
}

/** The last tick a stopped collector accounted for (a read in flight still lands at its tick). */
export function lastTick(c: EntryCollector): number | undefined {
  const o = c.out;
  const last = Math.max(o.lastTime ?? -Infinity, o.inFlightTick ?? -Infinity);
  return Number.isFinite(last) ? last : undefined;
}

/**
 * Entries paused and still not wanted whose cause changed (a gateway restarted with
 * capture_disabled): the span so far is written with its own reason when the entry is in the
 * plan (its rate known), and the rest is named by the new cause.
 */
export function renamePauses(
  paused: Map<string, PausedEntry>,
  want: ReadonlyMap<string, unknown>,
  plan: CapturePlan,
  now: number,
  sink: RecordSink,
  metaFor: (plan: CapturePlan, e: PlanEntry) => CaptureMeta,
): void {
  for (const [key, p] of paused) {
    if (want.has(key)) continue;
    const next = pauseReasonOf(plan);
    if (next === p.reason) continue;
    const e = plan.entries.find((x) => x.key === key && x.hz > 0);
    if (e !== undefined) {
      const period = periodMs(e.hz);
      const count = Math.max(0, Math.floor((now - p.last) / period + 1e-9));
      if (count > 0) {
        const end = p.last + count * period;
        sink.append(key, metaFor(plan, e), {
          kind: 'gap',
          reason: p.reason,
          start: p.last + period,
          end,
          count,
          detail: PAUSE_DETAIL[p.reason],
        });
        p.last = end;
      }
    }
    p.reason = next;
  }
}

/**
 * Where a (re)started entry's grid continues. An entry restarted live continues after its old
 * collector's last tick (`lastOfOld`). After a restart (`capture_stopped`) the collector accounts
 * the time since the last durable record itself (`resumeAt`: a `capture_stopped` gap, or what a
 * streaming board delivers from its backlog). After any other pause every tick since the last
 * accounted instant up to now is one gap with the reason it stopped (capture or the method was
 * disabled, a new capture_dir at a restart), and the grid continues after it (`after`).
 */
export function resumeAfterPause(
  out: EntryOutput,
  paused: PausedEntry | undefined,
  lastOfOld: number | undefined,
  period: number,
  now: number,
): { after: number | undefined; resumeAt: number | undefined } {
  if (paused === undefined || lastOfOld !== undefined)
    return { after: lastOfOld, resumeAt: undefined };
  if (paused.reason === 'capture_stopped') return { after: undefined, resumeAt: paused.last };
  const count = Math.max(0, Math.floor((now - paused.last) / period + 1e-9));
  const after = paused.last + count * period;
  if (count > 0) {
    out.gap(paused.reason, paused.last + period, after, count, PAUSE_DETAIL[paused.reason]);
    out.flushGap();
  }
  return { after, resumeAt: undefined };
}
