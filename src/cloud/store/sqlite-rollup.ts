/**
 * Per-minute rollup of reading values for fast charts (SQLite, schema 4). Maintained inside the
 * ingest transaction (the same savepoint as the file's rows) from the already decoded records, so
 * no JSON is parsed: one row per (stream, minute, reader/pin) with count, min, max, sum and the
 * times of the min and the max, plus one row per (stream, minute) with key '' and kind 'count'
 * holding the number of readings. `GET /api/v1/series` reads it for wide ranges (bucket ≥ 1
 * minute), so a 100,000-reading range costs ~2,000 rows, not 100,000. Gaps are not rolled up (they
 * stay exact, from the records, through the partial gap indexes).
 *
 * Ties: of equal values the earliest time is kept (for min and max), the same point the raw path
 * picks (it walks rows in time order and keeps the first), whatever order files arrive in.
 */
import type Database from 'better-sqlite3';
import { mergeConsts } from './sqlite-data.js';
import { expandChunk, type ConstsCache } from './sqlite-chunks.js';

export const ROLLUP_MS = 60_000;
/** The key of the per-(stream, minute) reading count row. */
export const COUNT_KEY = '';
/** Rows per page when an upgrade rolls up the stored readings. */
const ROLLUP_PAGE = 50_000;

export const SQLITE_ROLLUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS rollup_1m (
  stream_id INTEGER NOT NULL,
  minute INTEGER NOT NULL,           -- floor(time_received / 60000)
  key TEXT NOT NULL,                 -- reader or pin name; '' for the reading count row
  kind TEXT NOT NULL,                -- 'analog' | 'gpio' | 'count'
  n INTEGER NOT NULL,
  vmin REAL NOT NULL, tmin REAL NOT NULL,
  vmax REAL NOT NULL, tmax REAL NOT NULL,
  vsum REAL NOT NULL,
  PRIMARY KEY (stream_id, minute, key)
) WITHOUT ROWID;
-- gap records only (readings never enter them): chart gap spans, gap pages and fleet gap counts
-- read these instead of every row of the range
CREATE INDEX IF NOT EXISTS records_gap_stream_time ON records (stream_id, time_received) WHERE kind = 'gap';
CREATE INDEX IF NOT EXISTS records_gap_time ON records (time_received) WHERE kind = 'gap';
`;

export type RollupKind = 'analog' | 'gpio' | 'count';

/** Count, min and max (with their times) and sum of numeric values: one minute, or a wider bucket. */
export interface ValueAcc {
  n: number;
  vmin: number;
  tmin: number;
  vmax: number;
  tmax: number;
  vsum: number;
}

export interface MinuteAgg extends ValueAcc {
  minute: number;
  key: string;
  kind: RollupKind;
}

export interface RollupRow extends MinuteAgg {
  stream_id: number;
}

/** A numeric value of one reader/pin field (analog `value`, or gpio `high` as 0/1), else null. */
export function numericValue(raw: unknown): [number, 'analog' | 'gpio'] | null {
  if (raw === null || typeof raw !== 'object') return null;
  const o = raw as { value?: unknown; high?: unknown };
  if (typeof o.value === 'number') return Number.isFinite(o.value) ? [o.value, 'analog'] : null;
  if (typeof o.high === 'boolean') return [o.high ? 1 : 0, 'gpio'];
  return null;
}

/** Folds (n, min at tmin, max at tmax, sum) into `a`; ties keep the earlier time. */
export function mergeAgg(a: ValueAcc, b: ValueAcc): void {
  a.n += b.n;
  a.vsum += b.vsum;
  if (b.vmin < a.vmin || (b.vmin === a.vmin && b.tmin < a.tmin)) {
    a.vmin = b.vmin;
    a.tmin = b.tmin;
  }
  if (b.vmax > a.vmax || (b.vmax === a.vmax && b.tmax < a.tmax)) {
    a.vmax = b.vmax;
    a.tmax = b.tmax;
  }
}

/** Aggregates readings per (minute, key), plus a count row per minute. Pure; gaps are skipped. */
export function aggregateMinutes(
  records: Iterable<{ kind: string; time_received?: number; data?: unknown }>,
): MinuteAgg[] {
  const out: MinuteAgg[] = [];
  const byMinute = new Map<number, Map<string, MinuteAgg>>();
  let curMinute = NaN;
  let cur = new Map<string, MinuteAgg>();
  for (const rec of records) {
    if (rec.kind !== 'reading') continue;
    const t = rec.time_received!;
    const minute = Math.floor(t / ROLLUP_MS);
    if (minute !== curMinute) {
      curMinute = minute;
      let m = byMinute.get(minute);
      if (m === undefined) byMinute.set(minute, (m = new Map()));
      cur = m;
    }
    const count = cur.get(COUNT_KEY);
    if (count === undefined) {
      const c: MinuteAgg = {
        minute,
        key: COUNT_KEY,
        kind: 'count',
        n: 1,
        vmin: 0,
        tmin: t,
        vmax: 0,
        tmax: t,
        vsum: 0,
      };
      cur.set(COUNT_KEY, c);
      out.push(c);
    } else count.n++;
    const data = rec.data as Record<string, unknown>;
    for (const key in data) {
      if (key === COUNT_KEY) continue; // an empty reader name cannot be told from the count row
      // numericValue without its [value, kind] pair per value (this runs for every reader of
      // every reading at ingest)
      const raw = data[key] as { value?: unknown; high?: unknown } | null;
      if (raw === null || typeof raw !== 'object') continue;
      let v: number;
      let kind: 'analog' | 'gpio';
      if (typeof raw.value === 'number') {
        if (!Number.isFinite(raw.value)) continue;
        v = raw.value;
        kind = 'analog';
      } else if (typeof raw.high === 'boolean') {
        v = raw.high ? 1 : 0;
        kind = 'gpio';
      } else continue;
      const a = cur.get(key);
      if (a === undefined) {
        const fresh: MinuteAgg = {
          minute,
          key,
          kind,
          n: 1,
          vmin: v,
          tmin: t,
          vmax: v,
          tmax: t,
          vsum: v,
        };
        cur.set(key, fresh);
        out.push(fresh);
      } else {
        // mergeAgg of one value, inline: no object per value (records arrive in any order)
        a.n++;
        a.vsum += v;
        if (v < a.vmin || (v === a.vmin && t < a.tmin)) {
          a.vmin = v;
          a.tmin = t;
        }
        if (v > a.vmax || (v === a.vmax && t < a.tmax)) {
          a.vmax = v;
          a.tmax = t;
        }
      }
    }
  }
  return out;
}

export class SqliteRollup {
  private readonly upsert: Database.Statement;
  private readonly select: Database.Statement;

  /** The table must exist (SQLITE_ROLLUP_SCHEMA is part of the store schema). */
  constructor(db: Database.Database) {
    this.upsert = db.prepare(`
      INSERT INTO rollup_1m (stream_id, minute, key, kind, n, vmin, tmin, vmax, tmax, vsum)
      VALUES (@stream_id, @minute, @key, @kind, @n, @vmin, @tmin, @vmax, @tmax, @vsum)
      ON CONFLICT (stream_id, minute, key) DO UPDATE SET
        n = n + excluded.n,
        vsum = vsum + excluded.vsum,
        tmin = CASE WHEN excluded.vmin < vmin OR (excluded.vmin = vmin AND excluded.tmin < tmin) THEN excluded.tmin ELSE tmin END,
        vmin = min(vmin, excluded.vmin),
        tmax = CASE WHEN excluded.vmax > vmax OR (excluded.vmax = vmax AND excluded.tmax < tmax) THEN excluded.tmax ELSE tmax END,
        vmax = max(vmax, excluded.vmax)`);
    this.select = db.prepare(
      'SELECT stream_id, minute, key, kind, n, vmin, tmin, vmax, tmax, vsum FROM rollup_1m WHERE stream_id = ? AND minute >= ? AND minute <= ?',
    );
  }

  /** Call inside the ingest transaction (the file's savepoint): all of a file's rollup or none. */
  add(
    streamId: number,
    records: Iterable<{ kind: string; time_received?: number; data?: unknown }>,
  ): void {
    for (const a of aggregateMinutes(records)) this.upsert.run({ stream_id: streamId, ...a });
  }

  /** Rollup rows of the whole minutes [firstMinute, lastMinute] of the given streams. */
  rows(streamIds: readonly number[], firstMinute: number, lastMinute: number): RollupRow[] {
    const out: RollupRow[] = [];
    for (const id of streamIds)
      for (const r of this.select.all(id, firstMinute, lastMinute) as RollupRow[]) out.push(r);
    return out;
  }
}

/**
 * Upgrade to schema 4: (re)builds the rollup from every stored reading, in the caller's transaction.
 * `consts` gives a constants row parsed (schema-3 rows keep constant fields apart).
 */
export function rebuildRollup(db: Database.Database, consts: ConstsCache): number {
  db.exec('DROP TABLE IF EXISTS rollup_1m;');
  db.exec(SQLITE_ROLLUP_SCHEMA);
  const rollup = new SqliteRollup(db);
  // pages by primary key (.all(), not .iterate(): the connection cannot write while a read is open)
  const page = db
    .prepare(
      "SELECT id, stream_id, time_received, data, consts FROM records WHERE id > ? AND kind = 'reading' ORDER BY id LIMIT ?",
    )
    .raw(true);
  let after = -1;
  let total = 0;
  for (;;) {
    const rows = page.all(after, ROLLUP_PAGE) as [number, number, number, string, number | null][];
    if (rows.length === 0) break;
    const byStream = new Map<number, { kind: string; time_received: number; data: unknown }[]>();
    for (const [, sid, t, data, c] of rows) {
      let list = byStream.get(sid);
      if (list === undefined) byStream.set(sid, (list = []));
      const varying = JSON.parse(data) as Record<string, Record<string, unknown>>;
      list.push({
        kind: 'reading',
        time_received: t,
        data: c === null ? varying : mergeConsts(varying, consts.get(c)),
      });
    }
    for (const [sid, list] of byStream) rollup.add(sid, list);
    total += rows.length;
    after = rows[rows.length - 1]![0];
  }
  // chunked readings (schema 5): none in a file older than that, but a rebuild takes them all
  const chunks = db
    .prepare(
      'SELECT id, stream_id, t0, json(data), consts FROM chunks WHERE id > ? ORDER BY id LIMIT 20',
    )
    .raw(true);
  for (after = -1; ;) {
    const rows = chunks.all(after) as [number, number, number, string, number][];
    if (rows.length === 0) break;
    for (const [id, sid, t0, data, c] of rows) {
      const list = expandChunk({ id, t0, consts: c }, data, consts, () => true).map((r) => ({
        kind: 'reading',
        time_received: r.time_received,
        data: r.data,
      }));
      rollup.add(sid, list);
      total += list.length;
    }
    after = rows[rows.length - 1]![0];
  }
  return total;
}
