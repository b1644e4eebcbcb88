/**
 * Restart accounting for collectors outside the engine (cameras, gateway sensors), as the engine
 * does for board entries: every tick from the entry's last durable record (checkpoint) up to now
 * is one gap with the reason it was not captured (`capture_stopped` after a stop or crash).
 * Returns the instant the entry's tick grid continues after (undefined when nothing was known).
 */
import type { EntryOutput } from './entry-output.js';
import { PAUSE_DETAIL, type PausedEntry } from './paused.js';

export function resumeGap(
  out: EntryOutput,
  paused: PausedEntry | undefined,
  periodMs: number,
  now: number,
): number | undefined {
  if (paused === undefined) return undefined;
  const count = Math.max(0, Math.floor((now - paused.last) / periodMs + 1e-9));
  const after = paused.last + count * periodMs;
  if (count > 0) {
    out.gap(paused.reason, paused.last + periodMs, after, count, PAUSE_DETAIL[paused.reason]);
    out.flushGap();
  }
  return after;
}
