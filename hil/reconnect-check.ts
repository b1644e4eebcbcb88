/**
 * Accounting of one board's capture against what the board sent (hil/reconnect.test.ts): every
 * sample the board sent is captured exactly once, nothing is invented, and the only gaps are what
 * the board evicted from its backlog (with its count) and what nobody sampled.
 */
import type { SentSample } from './bench/uplink-tally.js';

export interface GapRow {
  reason: string;
  start: number;
  end: number;
  count: number;
}

export interface Accounting {
  /** distinct samples the board sent with a time in the window */
  sent: number;
  /** readings captured in the window */
  captured: number;
  /** captured readings matching no sent sample (must be 0) */
  invented: number;
  /** sent samples captured more than once (must be 0) */
  duplicates: number;
  /** sent samples not captured and inside no gap that accounts for them (must be 0) */
  lost: number;
  /** sent samples not captured that a backlog_overflow gap covers (serial: sent into a dead cable, then evicted) */
  lostEvicted: number;
  /** gap instants by reason in the window */
  gaps: Record<string, number>;
}

/** Index of the first element of sorted `xs` that is ≥ x. */
function lowerBound(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function account(
  window: { from: number; to: number },
  readings: number[],
  gaps: GapRow[],
  sent: SentSample[],
  periodMs: number,
): Accounting {
  const tol = periodMs / 2;
  const inW = (t: number) => t >= window.from && t <= window.to;
  const s = sent.map((x) => x.at).filter(inW);
  const r = readings.filter(inW).sort((a, b) => a - b);
  const hits = new Array<number>(s.length).fill(0);
  let invented = 0;
  for (const t of r) {
    const i = lowerBound(s, t - tol);
    if (i < s.length && Math.abs(s[i]! - t) <= tol) hits[i]!++;
    else invented++;
  }
  const overflow = gaps.filter((g) => g.reason === 'backlog_overflow');
  let lost = 0;
  let lostEvicted = 0;
  let duplicates = 0;
  for (let i = 0; i < s.length; i++) {
    if (hits[i]! > 1) duplicates += hits[i]! - 1;
    if (hits[i]! > 0) continue;
    const t = s[i]!;
    if (overflow.some((g) => t >= g.start - tol && t <= g.end + tol)) lostEvicted++;
    else lost++;
  }
  const byReason: Record<string, number> = {};
  for (const g of gaps) {
    if (g.end < window.from || g.start > window.to) continue;
    byReason[g.reason] = (byReason[g.reason] ?? 0) + g.count;
  }
  return {
    sent: s.length,
    captured: r.length,
    invented,
    duplicates,
    lost,
    lostEvicted,
    gaps: byReason,
  };
}

/** Every instant of the grid between consecutive readings has a gap record (counts add up). */
export function holesCovered(readings: number[], gaps: GapRow[], periodMs: number): string[] {
  const t = [...readings].sort((a, b) => a - b);
  const problems: string[] = [];
  for (let i = 1; i < t.length; i++) {
    const a = t[i - 1]!;
    const b = t[i]!;
    if (b - a < 1.5 * periodMs) continue;
    const missing = Math.round((b - a) / periodMs) - 1;
    const covered = gaps.filter((g) => g.start > a && g.end < b).reduce((n, g) => n + g.count, 0);
    if (covered !== missing)
      problems.push(`hole of ${missing} after ${a.toFixed(0)} covered by gaps of ${covered}`);
  }
  return problems;
}
