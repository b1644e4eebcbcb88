/**
 * Accounting of one board's capture against what the board sent (hil/reconnect.test.ts): every
 * sample the board sent is captured exactly once, nothing is invented, and the only gaps are what
 * the board evicted from its backlog (with its count) and what nobody sampled.
 *
 * What identifies a sample is the board's own numbering (its grid instant, batch and index), not
 * the time the gateway mapped it to: the gateway's clock map can be off by more than half a period
 * for a while (a first estimate on a loaded host), and a window of ±period/2 around the mapped time
 * then names the neighbouring sample. A captured reading carries no sequence number, but it carries
 * the receive time of the frame it came in: readings are matched frame by frame onto the board's
 * batches (matchReadings).
 */
import type { ViamRow } from '../src/shared/record.js';
import type { SentSample } from './bench/uplink-tally.js';

export interface GapRow {
  reason: string;
  start: number;
  end: number;
  count: number;
}

/**
 * One component's captured frames (requested and received times) and gap rows, from the rows a
 * test read back from the capture dir; only `method`'s when given.
 */
export function framesAndGaps(
  rows: readonly ViamRow[],
  component: string,
  method?: string,
): { frames: { t: number; rx: number }[]; gaps: GapRow[] } {
  const mine = rows.filter(
    (x) => x.component_name === component && (method === undefined || x.method_name === method),
  );
  const frames = mine
    .filter((x) => x.kind === 'reading')
    .map((x) => ({ t: x.time_requested, rx: x.time_received }));
  const gaps: GapRow[] = mine
    .filter((x) => x.kind === 'gap')
    .map((g) => {
      const d = g.data as { reason: string; end: number; count: number };
      return { reason: d.reason, start: g.time_requested, end: d.end, count: d.count };
    });
  return { frames, gaps };
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
  /** largest distance between a reading's mapped time and its sample's host time (ms) */
  mapErrorMs: number;
  /** gap instants by reason in the window */
  gaps: Record<string, number>;
  /** for a failure message: the first few readings that matched an already matched sample */
  examples: string[];
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

/** How far from a reading's mapped time the sample that it is may lie: the clock map's error. */
const MAX_MAP_ERROR_PERIODS = 2;
/** Spacing of the readings of one frame against the board's spacing of its samples (ms). */
const FRAME_SLACK_MS = 3;

/** A captured reading: its mapped time and the time the gateway received its frame. */
export interface Reading {
  t: number;
  rx: number;
}

/** The samples the board sent, each once, in its order (by host time), with batch boundaries. */
function boardOrder(sent: SentSample[]): SentSample[] {
  const byAt = new Map<number, SentSample>();
  for (const x of sent) if (!byAt.has(x.at)) byAt.set(x.at, x);
  return [...byAt.values()].sort((a, b) => a.at - b.at);
}

/**
 * Which sample (index into `order`, the board's samples in order) each reading of `sorted` (byFrame)
 * is, -1 for none. The readings of one frame (same receive time) are consecutive
 * samples of the batch it carried, mapped with one clock estimate: the frame is placed on the
 * consecutive samples whose spacing it has, ending and starting on the board's batch boundaries
 * where it can (a frame is a whole batch unless the gateway kept only its tail), nearest in time
 * among those — a shift by one sample breaks the boundaries, so a clock map off by up to half a
 * batch still names the right samples. A frame that fits nowhere is matched reading by reading,
 * within half a period.
 */
export function matchReadings(order: SentSample[], sorted: Reading[], periodMs: number): number[] {
  const out = new Array<number>(sorted.length).fill(-1);
  const at = order.map((x) => x.at);
  const maxErr = MAX_MAP_ERROR_PERIODS * periodMs;
  let from = 0;
  while (from < sorted.length) {
    let to = from + 1;
    while (to < sorted.length && sorted[to]!.rx === sorted[from]!.rx) to++;
    const L = to - from;
    const t0 = sorted[from]!.t;
    let best: { p: number; score: number; err: number } | undefined;
    for (let p = lowerBound(at, t0 - maxErr); p < at.length && at[p]! <= t0 + maxErr; p++) {
      if (p + L > at.length) break;
      let fits = true;
      for (let j = 1; j < L && fits; j++)
        fits = Math.abs(sorted[from + j]!.t - t0 - (at[p + j]! - at[p]!)) <= FRAME_SLACK_MS;
      if (!fits) continue;
      // a frame ends on a batch boundary (the gateway drops at most a head it already has), and
      // mostly starts on one
      const last = order[p + L - 1]!;
      const score = (last.index === last.size - 1 ? 2 : 0) + (order[p]!.index === 0 ? 1 : 0);
      const err = Math.abs(at[p]! - t0);
      if (best === undefined || score > best.score || (score === best.score && err < best.err))
        best = { p, score, err };
    }
    if (best !== undefined) for (let j = 0; j < L; j++) out[from + j] = best.p + j;
    else
      for (let j = from; j < to; j++) {
        const i = nearest(at, sorted[j]!.t);
        if (i >= 0 && Math.abs(at[i]! - sorted[j]!.t) <= periodMs / 2) out[j] = i;
      }
    from = to;
  }
  return out;
}

/** Index of the sample nearest to `x` in sorted `xs` (-1 when empty). */
function nearest(xs: number[], x: number): number {
  const i = lowerBound(xs, x);
  if (i >= xs.length) return xs.length - 1;
  if (i > 0 && x - xs[i - 1]! < xs[i]! - x) return i - 1;
  return i;
}

/** Frame by frame (in the order received), each frame's readings in order. */
const byFrame = (readings: Reading[]) => [...readings].sort((a, b) => a.rx - b.rx || a.t - b.t);

/**
 * The host time of the sample each reading is (matchReadings), frame by frame; a reading that is
 * no sent sample keeps its mapped time.
 */
export function sampleTimes(readings: Reading[], sent: SentSample[], periodMs: number): number[] {
  const order = boardOrder(sent);
  const sorted = byFrame(readings);
  const match = matchReadings(order, sorted, periodMs);
  return sorted.map((r, j) => (match[j]! >= 0 ? order[match[j]!]!.at : r.t));
}

export function account(
  window: { from: number; to: number },
  readings: Reading[],
  gaps: GapRow[],
  sent: SentSample[],
  periodMs: number,
): Accounting {
  const tol = periodMs / 2;
  const inW = (t: number) => t >= window.from && t <= window.to;
  // Every reading is matched (a run needs its neighbours to be placed); a reading in the window
  // counts, against every sent sample: one near an edge may be mapped a few ms across it, and is
  // then neither invented nor lost. Only samples sent inside the window are owed a reading.
  const order = boardOrder(sent);
  const all = order.map((x) => x.at);
  const sorted = byFrame(readings);
  const match = matchReadings(order, sorted, periodMs);
  const hits = new Array<number>(all.length).fill(0);
  const firstHit = new Array<number>(all.length).fill(NaN);
  const examples: string[] = [];
  let invented = 0;
  let captured = 0;
  let mapError = 0;
  for (let j = 0; j < sorted.length; j++) {
    const t = sorted[j]!.t;
    const i = match[j]!;
    if (!inW(t)) {
      // outside the window: not counted as captured here, but it does deliver the sample it
      // matches (a sample sent just inside the edge whose reading is mapped just outside is not
      // lost; the phase tables printed "lost 1" for that)
      if (i >= 0) {
        if (hits[i] === 0) firstHit[i] = t;
        hits[i]!++;
      }
      continue;
    }
    captured++;
    if (i >= 0) {
      mapError = Math.max(mapError, Math.abs(all[i]! - t));
      if (hits[i]! > 0 && examples.length < 5)
        examples.push(
          `sample ${all[i]!.toFixed(1)} (${order[i]!.batch}[${order[i]!.index}]) captured at ${firstHit[i]!.toFixed(1)} and ${t.toFixed(1)}`,
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
  // gap bounds are mapped times too: compare with the clock map's error seen on the readings
  const slack = tol + mapError;
  let lost = 0;
  let lostEvicted = 0;
  let duplicates = 0;
  for (const h of hits) if (h > 1) duplicates += h - 1;
  for (const i of owed) {
    if (hits[i]! > 0) continue;
    const t = all[i]!;
    if (overflow.some((g) => t >= g.start - slack && t <= g.end + slack)) lostEvicted++;
    else {
      lost++;
      if (examples.length < 5) examples.push(`sample ${t.toFixed(1)} not captured`);
    }
  }
  const byReason: Record<string, number> = {};
  for (const g of gaps) {
    if (g.end < window.from || g.start > window.to) continue;
    byReason[g.reason] = (byReason[g.reason] ?? 0) + g.count;
  }
  return {
    sent: owed.length,
    captured,
    invented,
    duplicates,
    lost,
    lostEvicted,
    mapErrorMs: mapError,
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
 * and evicted from the board's re-send queue afterwards. `readings`: the host times of the samples
 * the readings are (sampleTimes), so that the clock map's error does not move one across an edge.
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
