/**
 * Times as people type them in time flags (`--from`, `--to`) and query parameters:
 *   ms since the epoch      1700000000000
 *   ISO 8601                2026-12-07T10:00:00Z, 2026-12-07
 *   now                     now
 *   relative to now         -1h, -30m, -7d, -90s, -500ms, -2w (also `now-1h`; `+10m` is in the future)
 * Relative times are what the UI's "Last hour" means: `--from -1h` is one hour before now.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

const RELATIVE = /^(?:now)?\s*([+-])\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/i;

export const TIME_FORMS =
  'milliseconds since the epoch, an ISO 8601 date (2026-12-07T10:00:00Z), now, or a time relative to now (-1h, -30m, -7d, -90s)';

export type TimeSpec = { ok: true; ms: number } | { ok: false; reason: string };

/** Parses one time; `now` is the current time in ms (injected for tests). */
export function parseTimeSpec(input: string, now: number): TimeSpec {
  const s = input.trim();
  if (s === '') return { ok: false, reason: 'it is empty' };
  if (/^now$/i.test(s)) return { ok: true, ms: now };
  const rel = RELATIVE.exec(s);
  if (rel !== null) {
    const n = Number(rel[2]) * UNIT_MS[rel[3]!.toLowerCase()]!;
    if (!Number.isFinite(n)) return { ok: false, reason: 'the offset is out of range' };
    return { ok: true, ms: rel[1] === '-' ? now - n : now + n };
  }
  if (/^[+-]?\s*\d+(\.\d+)?\s*[a-z]+$/i.test(s)) {
    return {
      ok: false,
      reason: `the unit is not one of ms, s, m, h, d, w (write e.g. -1h or -30m)`,
    };
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) {
    const n = Number(s);
    if (Number.isFinite(n)) return { ok: true, ms: n };
  }
  // ISO 8601 only: Date.parse alone also takes "-1" or "March 7" in ways nobody means.
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(s)) {
    const d = Date.parse(s);
    if (Number.isFinite(d)) return { ok: true, ms: d };
    return { ok: false, reason: 'it is not a valid date' };
  }
  return { ok: false, reason: 'it is not a time' };
}
