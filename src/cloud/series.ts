/**
 * Server-side downsampling for charts: per reader (or pin) line, per time bucket the min, max and
 * average, plus the min/max pair as plotted points (spikes stay visible); gap records as spans.
 * Streams through the store page by page, so memory is bounded by points × lines, not by rows.
 *
 * A store with a per-minute rollup (SQLite) answers wide ranges from it (series-rollup.ts): when a
 * bucket would be a minute or wider, buckets become whole minutes aligned to minute boundaries
 * (`bucket_ms` a multiple of 60,000, at most `points` buckets) and each is exact for its bounds.
 * Narrower buckets, and stores without a rollup (PostgreSQL), read the raw rows.
 */
import { WharfError } from '../shared/errors.js';
import type { CloudStore, ReadingFilter, StoredRow } from './store/contract.js';
import { hasRollup, minuteGrid, seriesFromRollup } from './series-rollup.js';
import type { GapSpan, SeriesGrid, SeriesLine, SeriesResult } from './api-types.js';
import { emptyLine, lineKey } from './series-line.js';

export type { GapSpan, SeriesGrid, SeriesLine, SeriesResult } from './api-types.js';

export interface SeriesOptions {
  /** false: always the raw rows (for comparison); default: the rollup where the store has one. */
  rollup?: boolean;
  /** Only with rollup: false — the bucket grid to use instead of (to − from) / points from `from`. */
  grid?: SeriesGrid;
}

interface Acc {
  line: SeriesLine;
  bucket: number;
  min: number;
  minT: number;
  max: number;
  maxT: number;
  sum: number;
  n: number;
}

const MAX_ROWS = 2_000_000;
const MAX_GAPS = 10_000;

function flush(a: Acc, origin: number, bucketMs: number): void {
  if (a.n === 0) return;
  const l = a.line;
  l.bucket_t.push(origin + a.bucket * bucketMs);
  l.min.push(a.min);
  l.max.push(a.max);
  l.avg.push(a.sum / a.n);
  if (a.minT <= a.maxT) {
    l.t.push(a.minT, a.maxT);
    l.v.push(a.min, a.max);
  } else {
    l.t.push(a.maxT, a.minT);
    l.v.push(a.max, a.min);
  }
  if (a.minT === a.maxT) {
    l.t.pop();
    l.v.pop();
  }
  a.n = 0;
  a.sum = 0;
}

function valuesOf(row: StoredRow): [string, number, 'analog' | 'gpio'][] {
  const out: [string, number, 'analog' | 'gpio'][] = [];
  for (const [k, v] of Object.entries(row.data as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.value === 'number') out.push([k, o.value, 'analog']);
      else if (typeof o.high === 'boolean') out.push([k, o.high ? 1 : 0, 'gpio']);
    }
  }
  return out;
}

export async function buildSeries(
  store: CloudStore,
  filter: ReadingFilter,
  points: number,
  opts: SeriesOptions = {},
): Promise<SeriesResult> {
  if (!Number.isInteger(points) || points < 1 || points > 10_000)
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `points must be an integer from 1 to 10000 (got ${points})`,
    );
  let { from, to } = filter;
  if (from === undefined || to === undefined) {
    const first = await store.query({ ...filter }, { limit: 1, order: 'asc' });
    const last = await store.query({ ...filter }, { limit: 1, order: 'desc' });
    from ??= first.rows[0]?.time_received ?? 0;
    to ??= last.rows[0]?.time_received ?? from;
  }
  if (opts.rollup !== false && hasRollup(store)) {
    const grid = minuteGrid(from, to, points);
    if (grid !== null) return seriesFromRollup(store, filter, from, to, points, grid, MAX_GAPS);
  }
  const origin = opts.rollup === false && opts.grid !== undefined ? opts.grid.origin : from;
  const bucketMs =
    opts.rollup === false && opts.grid !== undefined
      ? opts.grid.width
      : Math.max((to - from) / points, 1e-3);
  const lines = new Map<string, Acc>();
  const gaps: GapSpan[] = [];
  let seen = 0;
  let truncated = false;
  let cursor: string | null = null;
  do {
    const page = await store.query(
      { ...filter, from, to },
      { limit: 10_000, order: 'asc', cursor },
    );
    for (const row of page.rows) {
      seen++;
      if (row.kind === 'gap') {
        const d = row.data as { reason: string; count: number; detail?: string };
        if (gaps.length < MAX_GAPS) {
          const g: GapSpan = {
            machine: row.machine,
            component_name: row.component_name,
            method_name: row.method_name,
            start: row.time_requested,
            end: row.time_received,
            reason: d.reason,
            count: d.count,
          };
          if (d.detail !== undefined) g.detail = d.detail;
          gaps.push(g);
        } else truncated = true;
        continue;
      }
      const b = Math.max(
        0,
        Math.min(Math.floor((row.time_received - origin) / bucketMs), points - 1),
      );
      for (const [key, value, kind] of valuesOf(row)) {
        const id = lineKey(row, key);
        let a = lines.get(id);
        if (a === undefined) {
          const line = emptyLine(row, key, kind);
          a = { line, bucket: b, min: 0, minT: 0, max: 0, maxT: 0, sum: 0, n: 0 };
          lines.set(id, a);
        }
        if (a.bucket !== b) {
          flush(a, origin, bucketMs);
          a.bucket = b;
        }
        if (a.n === 0 || value < a.min) {
          a.min = value;
          a.minT = row.time_received;
        }
        if (a.n === 0 || value > a.max) {
          a.max = value;
          a.maxT = row.time_received;
        }
        a.sum += value;
        a.n++;
      }
    }
    cursor = page.next_cursor;
    if (seen >= MAX_ROWS && cursor !== null) {
      truncated = true;
      break;
    }
  } while (cursor !== null);
  for (const a of lines.values()) flush(a, origin, bucketMs);
  return {
    from,
    to,
    points,
    bucket_ms: bucketMs,
    points_in_range: seen,
    series: [...lines.values()].map((a) => a.line),
    gaps,
    truncated,
  };
}
