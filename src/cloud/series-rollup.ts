/**
 * Wide-range series from the per-minute rollup (SQLite store): the whole minutes inside [from, to]
 * come from `rollup_1m`, the partial first and last minute from the raw rows, gaps always from the
 * records. The buckets are whole minutes aligned to minute boundaries (`minuteGrid`), so every
 * rolled-up minute falls in exactly one bucket and each bucket's count, min, max (with their times)
 * and average are the ones the raw rows give for the same grid.
 */
import type { CloudStore, ReadingFilter, StoredRow } from './store/contract.js';
import { streamMatches } from './store/common.js';
import {
  COUNT_KEY,
  ROLLUP_MS,
  mergeAgg,
  numericValue,
  type RollupRow,
  type ValueAcc,
} from './store/sqlite-rollup.js';
import type { GapSpan, SeriesGrid, SeriesLine, SeriesResult } from './api-types.js';
import { emptyLine, lineKey, type LineHead } from './series-line.js';

export interface RollupCapable {
  rollupRows(streamIds: readonly number[], firstMinute: number, lastMinute: number): RollupRow[];
}

export function hasRollup(store: CloudStore): store is CloudStore & RollupCapable {
  return typeof (store as Partial<RollupCapable>).rollupRows === 'function';
}

/** Buckets of whole minutes from the minute `from` falls in, at most `points` of them; null when a bucket would be under a minute. */
export function minuteGrid(from: number, to: number, points: number): SeriesGrid | null {
  if ((to - from) / points < ROLLUP_MS) return null;
  const origin = Math.floor(from / ROLLUP_MS) * ROLLUP_MS;
  const width = ROLLUP_MS * Math.max(1, Math.ceil((to - origin) / (points * ROLLUP_MS)));
  return { origin, width };
}

interface Line {
  line: SeriesLine;
  buckets: Map<number, ValueAcc>;
}

async function allRows(
  store: CloudStore,
  filter: ReadingFilter,
  cap: number,
): Promise<{ rows: StoredRow[]; truncated: boolean }> {
  const rows: StoredRow[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = await store.query(filter, { limit: 5000, order: 'asc', cursor });
    for (const r of page.rows) rows.push(r);
    cursor = page.next_cursor;
    if (rows.length > cap) return { rows: rows.slice(0, cap), truncated: true };
    if (cursor === null) break;
  }
  return { rows, truncated: false };
}

export async function seriesFromRollup(
  store: CloudStore & RollupCapable,
  filter: ReadingFilter,
  from: number,
  to: number,
  points: number,
  grid: SeriesGrid,
  maxGaps: number,
): Promise<SeriesResult> {
  const bucketOf = (t: number): number =>
    Math.max(0, Math.min(Math.floor((t - grid.origin) / grid.width), points - 1));
  const streams = (await store.streams()).filter((s) => streamMatches(s, filter));
  const byStream = new Map(streams.map((s) => [s.id, s]));
  const lines = new Map<string, Line>();
  // lines are keyed like the raw path: by header fields and reader, not by stream (tags may differ)
  const lineFor = (h: LineHead, key: string, kind: 'analog' | 'gpio'): Line => {
    const id = lineKey(h, key);
    let l = lines.get(id);
    if (l === undefined) {
      const line = emptyLine(h, key, kind);
      lines.set(id, (l = { line, buckets: new Map() }));
    }
    return l;
  };
  const add = (l: Line, b: number, x: ValueAcc): void => {
    const a = l.buckets.get(b);
    if (a === undefined) l.buckets.set(b, { ...x });
    else mergeAgg(a, x);
  };
  let seen = 0;
  if (filter.kind !== 'gap' && streams.length > 0) {
    // whole minutes inside [from, to] from the rollup; the minute holding `to` is read raw
    const firstMinute = Math.ceil(from / ROLLUP_MS);
    const lastMinute = Math.floor(to / ROLLUP_MS) - 1;
    // [from, to, end exclusive]: the partial first and last minute, or everything without a whole minute
    const edges: [number, number, boolean][] = [[from, to, false]];
    if (lastMinute >= firstMinute) {
      edges[0] = [from, firstMinute * ROLLUP_MS, true];
      edges.push([(lastMinute + 1) * ROLLUP_MS, to, false]);
      for (const r of store.rollupRows(
        streams.map((s) => s.id),
        firstMinute,
        lastMinute,
      )) {
        const head = byStream.get(r.stream_id);
        if (head === undefined) continue;
        if (r.key === COUNT_KEY) seen += r.n;
        else
          add(
            lineFor(head, r.key, r.kind === 'gpio' ? 'gpio' : 'analog'),
            bucketOf(r.minute * ROLLUP_MS),
            r,
          );
      }
    }
    for (const [a, b, exclusive] of edges) {
      const { rows } = await allRows(
        store,
        { ...filter, kind: 'reading', from: a, to: b },
        2_000_000,
      );
      for (const row of rows) {
        const t = row.time_received;
        if (exclusive && t >= b) continue;
        seen++;
        for (const key in row.data) {
          const nv = numericValue((row.data as Record<string, unknown>)[key]);
          if (nv !== null)
            add(lineFor(row, key, nv[1]), bucketOf(t), {
              n: 1,
              vmin: nv[0],
              tmin: t,
              vmax: nv[0],
              tmax: t,
              vsum: nv[0],
            });
        }
      }
    }
  }
  const gaps: GapSpan[] = [];
  let truncated = false;
  if (filter.kind !== 'reading') {
    const g = await allRows(store, { ...filter, kind: 'gap', from, to }, maxGaps);
    for (const row of g.rows) {
      const d = row.data as { reason: string; count: number; detail?: string };
      const span: GapSpan = {
        machine: row.machine,
        component_name: row.component_name,
        method_name: row.method_name,
        start: row.time_requested,
        end: row.time_received,
        reason: d.reason,
        count: d.count,
      };
      if (d.detail !== undefined) span.detail = d.detail;
      gaps.push(span);
    }
    truncated = g.truncated;
    seen += g.truncated ? await store.count({ ...filter, kind: 'gap', from, to }) : g.rows.length;
  }
  for (const { line, buckets } of lines.values()) {
    for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
      const a = buckets.get(b)!;
      line.bucket_t.push(grid.origin + b * grid.width);
      line.min.push(a.vmin);
      line.max.push(a.vmax);
      line.avg.push(a.vsum / a.n);
      if (a.tmin === a.tmax) {
        line.t.push(a.tmin);
        line.v.push(a.vmin);
      } else if (a.tmin < a.tmax) {
        line.t.push(a.tmin, a.tmax);
        line.v.push(a.vmin, a.vmax);
      } else {
        line.t.push(a.tmax, a.tmin);
        line.v.push(a.vmax, a.vmin);
      }
    }
  }
  return {
    from,
    to,
    points,
    bucket_ms: grid.width,
    points_in_range: seen,
    series: [...lines.values()].map((l) => l.line),
    gaps,
    truncated,
  };
}
