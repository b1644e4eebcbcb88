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
  /** for a failure message: the first few readings that matched an already matched sample */
  examples: string[];
}

/** Index of the first element of sorted `xs` that is ≥ x. */
/** Index of the sample nearest to `x` in sorted `xs` (-1 when empty). */
function nearest(xs: number[], x: number): number {
  const i = lowerBound(xs, x);
  if (i >= xs.length) return xs.length - 1;
  if (i > 0 && x - xs[i - 1]! < xs[i]! - x) return i - 1;
  return i;
}

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
  // A reading in the window is matched against every sent sample: one near an edge may map a few
  // ms across it (clock mapping), and is then neither invented nor lost. Only samples sent inside
  // the window are owed a reading.
  const all = sent.map((x) => x.at).sort((a, b) => a - b);
  const r = readings.filter(inW).sort((a, b) => a - b);
  const hits = new Array<number>(all.length).fill(0);
  const firstHit = new Array<number>(all.length).fill(NaN);
  const examples: string[] = [];
  let invented = 0;
  for (const t of r) {
    const i = nearest(all, t);
    if (i >= 0 && Math.abs(all[i]! - t) <= tol) {
      if (hits[i]! > 0 && examples.length < 5)
        examples.push(
          `sample ${all[i]!.toFixed(1)} captured at ${firstHit[i]!.toFixed(1)} and ${t.toFixed(1)}`,
        );
      else if (hits[i] === 0) firstHit[i] = t;
      hits[i]!++;
    } else {
      invented++;
      if (examples.length < 5) examples.push(`reading ${t.toFixed(1)} matches no sent sample`);
    }
  }
  const owed = all.flatMap((t, i) => (inW(t) ? [i] : []));
  const overflow = gaps.filter((g) => g.reason === 'backlog_overflow');
  let lost = 0;
  let lostEvicted = 0;
  let duplicates = 0;
  for (const h of hits) if (h > 1) duplicates += h - 1;
  for (const i of owed) {
    if (hits[i]! > 0) continue;
    const t = all[i]!;
    if (overflow.some((g) => t >= g.start - tol && t <= g.end + tol)) lostEvicted++;
    else lost++;
  }
  const byReason: Record<string, number> = {};
  for (const g of gaps) {
    if (g.end < window.from || g.start > window.to) continue;
    byReason[g.reason] = (byReason[g.reason] ?? 0) + g.count;
  }
  return {
    sent: owed.length,
    captured: r.length,
    invented,
    duplicates,
    lost,
    lostEvicted,
    gaps: byReason,
    examples,
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

/** Gap records that cover a captured reading (an instant both delivered and marked lost). */
export function overlaps(readings: number[], gaps: GapRow[]): string[] {
  const t = [...readings].sort((a, b) => a - b);
  const out: string[] = [];
  for (const g of gaps) {
    const i = lowerBound(t, g.start - 5);
    if (i < t.length && t[i]! <= g.end + 5)
      out.push(
        `${g.reason} ${g.start.toFixed(1)}..${g.end.toFixed(1)} covers reading ${t[i]!.toFixed(1)}`,
      );
  }
  return out;
}

/**
 * What the board's own overflow reports should become as gap records: its count, less the instants
 * in its span that already have a record (a reading, or another gap) — delivered before the outage
 * and evicted from the board's re-send queue afterwards.
 */
export function expectedOverflow(
  reports: { n: number; from: number; to: number }[],
  readings: number[],
  gaps: GapRow[],
  periodMs: number,
): number {
  const tol = periodMs / 2;
  let total = 0;
  for (const e of reports) {
    const inSpan = (t: number) => t >= e.from - tol && t <= e.to + tol;
    const recorded =
      readings.filter(inSpan).length +
      gaps
        .filter((g) => g.reason !== 'backlog_overflow' && inSpan(g.start) && inSpan(g.end))
        .reduce((n, g) => n + g.count, 0);
    total += Math.max(0, e.n - recorded);
  }
  return total;
}
