/**
 * Reading the chunked readings of the SQLite store (schema 5, sqlite-chunks.ts) for a page, a
 * count or the per-stream stats. A chunk's times received lie within CHUNK_SPAN_MS of its t_first,
 * so the chunks that can hold a time ≥ T are those with t_first ≥ T − span: every read below is
 * an index range on t_first, walked in order and stopped as soon as no further chunk can change
 * the answer.
 */
import type Database from 'better-sqlite3';
import { WharfError } from '../../shared/errors.js';
import type { Cursor } from './common.js';
import { CHUNK_SPAN_MS, expandChunk, type ChunkBounds, type ConstsCache } from './sqlite-chunks.js';

/** A reading of a page before it is shaped (stream looked up, data parsed). */
export interface PageRow {
  id: number;
  stream_id: number;
  kind: string;
  time_requested: number;
  time_received: number;
  data: unknown;
}

export interface ChunkRange {
  /** Stream ids to restrict to, or null for every stream. */
  ids: number[] | null;
  from: number | undefined;
  to: number | undefined;
}

/** Chunk bounds fetched per statement while walking a page. */
const CHUNK_BATCH = 32;

const byTimeThenId = (desc: boolean) => (a: PageRow, b: PageRow) => {
  const d = a.time_received - b.time_received || a.id - b.id;
  return desc ? -d : d;
};

function rangeSql(r: ChunkRange): { parts: string[]; args: number[] } {
  const parts: string[] = [];
  const args: number[] = [];
  if (r.ids !== null) parts.push(`stream_id IN (${r.ids.map(Number).join(',')})`);
  if (r.from !== undefined) {
    parts.push('t_first >= ?', 't_last >= ?');
    args.push(r.from - CHUNK_SPAN_MS, r.from);
  }
  if (r.to !== undefined) {
    parts.push('t_first <= ?');
    args.push(r.to);
  }
  return { parts, args };
}

export class SqliteChunkReads {
  private readonly text;

  constructor(
    private readonly db: Database.Database,
    private readonly consts: ConstsCache,
  ) {
    this.text = db.prepare<[number], { data: string }>(
      'SELECT json(data) AS data FROM chunks WHERE id = ?',
    );
  }

  /**
   * Adds to `rows` (which may hold the page's records already) the chunked readings in range,
   * after `cursor`, in page order, and returns `rows` sorted and cut to `limit`.
   */
  page(
    range: ChunkRange,
    cursor: Cursor | null,
    desc: boolean,
    limit: number,
    rows: PageRow[],
  ): PageRow[] {
    const order = byTimeThenId(desc);
    let { from, to } = range;
    if (cursor !== null) {
      if (desc) to = to === undefined ? cursor.t : Math.min(to, cursor.t);
      else from = from === undefined ? cursor.t : Math.max(from, cursor.t);
    }
    const keep = (t: number, id: number): boolean =>
      (range.from === undefined || t >= range.from) &&
      (range.to === undefined || t <= range.to) &&
      (cursor === null ||
        (desc
          ? t < cursor.t || (t === cursor.t && id < cursor.id)
          : t > cursor.t || (t === cursor.t && id > cursor.id)));
    const { parts, args } = rangeSql({ ids: range.ids, from, to });
    const where = (after: boolean): string =>
      [...parts, ...(after ? [`(t_first, id) ${desc ? '<' : '>'} (?, ?)`] : [])].join(' AND ') ||
      '1';
    const dir = desc ? 'DESC' : 'ASC';
    // the chunks' bounds first, their text only for a chunk that may hold a row of the page
    const select = (after: boolean) =>
      this.db.prepare<unknown[], ChunkBounds>(
        `SELECT id, stream_id, t0, t_first, t_last, consts FROM chunks WHERE ${where(after)} ORDER BY t_first ${dir}, id ${dir} LIMIT ${CHUNK_BATCH}`,
      );
    let out = rows.sort(order).slice(0, limit);
    let kth = out.length >= limit ? out[limit - 1] : undefined;
    const beats = (t: number, id: number): boolean =>
      kth === undefined ||
      (desc
        ? t > kth.time_received || (t === kth.time_received && id > kth.id)
        : t < kth.time_received || (t === kth.time_received && id < kth.id));
    // no reading of this chunk, or of any after it in the walk, makes the page
    const beyond = (c: ChunkBounds): boolean =>
      kth !== undefined &&
      (desc ? c.t_first + CHUNK_SPAN_MS < kth.time_received : c.t_first > kth.time_received);
    // no reading of this chunk makes the page
    const outside = (c: ChunkBounds): boolean =>
      kth !== undefined && (desc ? c.t_last < kth.time_received : c.t_first > kth.time_received);
    let batch = select(false).all(...args);
    const next = select(true);
    walk: while (batch.length > 0) {
      for (const c of batch) {
        if (beyond(c)) break walk;
        if (outside(c)) continue;
        const added = expandChunk(
          c,
          this.chunkText(c.id),
          this.consts,
          (t, id) => keep(t, id) && beats(t, id),
        );
        if (added.length === 0) continue;
        for (const r of added) out.push({ ...r, stream_id: c.stream_id, kind: 'reading' });
        if (out.length >= limit) {
          out = out.sort(order).slice(0, limit);
          kth = out[limit - 1];
        }
      }
      if (batch.length < CHUNK_BATCH) break;
      const last = batch[batch.length - 1]!;
      batch = next.all(...args, last.t_first, last.id);
    }
    return out.sort(order).slice(0, limit);
  }

  /** A chunk's text; the walk is synchronous, so the chunk it just listed is there. */
  private chunkText(id: number): string {
    const row = this.text.get(id);
    if (row === undefined)
      throw new WharfError('CLOUD_STORE', `chunk ${id} vanished while a page was read`);
    return row.data;
  }

  /** Chunked readings in range per stream (all of them when the range is open). */
  countByStream(range: ChunkRange): Map<number, number> {
    const { parts, args } = rangeSql(range);
    const inside: string[] = [];
    const insideArgs: number[] = [];
    if (range.from !== undefined) {
      inside.push('t_first >= ?');
      insideArgs.push(range.from);
    }
    if (range.to !== undefined) {
      inside.push('t_last <= ?');
      insideArgs.push(range.to);
    }
    const where = parts.join(' AND ') || '1';
    const whole = inside.length === 0 ? '1' : inside.join(' AND ');
    const counts = new Map<number, number>();
    const add = (rows: { stream_id: number; n: number }[]): void => {
      for (const r of rows) counts.set(r.stream_id, (counts.get(r.stream_id) ?? 0) + r.n);
    };
    add(
      this.db
        .prepare<unknown[], { stream_id: number; n: number }>(
          `SELECT stream_id, sum(n) AS n FROM chunks WHERE ${where} AND ${whole} GROUP BY stream_id`,
        )
        .all(...args, ...insideArgs),
    );
    if (inside.length > 0) {
      // chunks reaching over an end of the range: count their readings one by one
      const t: string[] = [];
      const tArgs: number[] = [];
      if (range.from !== undefined) {
        t.push('(c.t0 + (j.value ->> 2)) >= ?');
        tArgs.push(range.from);
      }
      if (range.to !== undefined) {
        t.push('(c.t0 + (j.value ->> 2)) <= ?');
        tArgs.push(range.to);
      }
      add(
        this.db
          .prepare<unknown[], { stream_id: number; n: number }>(
            `SELECT c.stream_id, count(*) AS n FROM chunks c, jsonb_each(c.data) j WHERE ${where} AND NOT (${whole}) AND ${t.join(' AND ')} GROUP BY c.stream_id`,
          )
          .all(...args, ...insideArgs, ...tArgs),
      );
    }
    return counts;
  }

  /** The latest time received of each stream's chunks. */
  lastSeen(): Map<number, number> {
    const rows = this.db
      .prepare<[], { stream_id: number; t: number | null }>(
        'SELECT id AS stream_id, (SELECT max(t_last) FROM chunks WHERE stream_id = s.id) AS t FROM streams s',
      )
      .all();
    return new Map(rows.filter((r) => r.t !== null).map((r) => [r.stream_id, r.t!]));
  }

  total(): number {
    return (this.db.prepare('SELECT coalesce(sum(n), 0) AS n FROM chunks').get() as { n: number })
      .n;
  }
}
