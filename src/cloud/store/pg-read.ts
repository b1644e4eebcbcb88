/**
 * Reading the PostgreSQL store: the stream list, filtered pages of records (keyset paging on
 * (time_received, id)), counts, the per-stream stats of the fleet view and the totals.
 */
import type pg from 'pg';
import type {
  QueryOptions,
  QueryPage,
  ReadingFilter,
  StreamInfo,
  StreamStats,
} from './contract.js';
import {
  checkQueryOptions,
  decodeCursor,
  encodeCursor,
  matchingStreamIds,
  shapeRow,
  type RawRow,
} from './common.js';

export class PgReads {
  private streamCache = new Map<number, StreamInfo>();

  constructor(private readonly pool: pg.Pool) {}

  async streams(): Promise<StreamInfo[]> {
    const r = await this.pool.query(
      'SELECT id, part_id, machine, component_type, component_name, method_name, tags, additional_parameters FROM streams',
    );
    const out = r.rows.map((x: Record<string, unknown>) => ({
      id: Number(x.id),
      part_id: String(x.part_id),
      machine: String(x.machine),
      component_type: String(x.component_type),
      component_name: String(x.component_name),
      method_name: String(x.method_name),
      tags: x.tags as string[],
      additional_parameters: x.additional_parameters as Record<string, unknown>,
    }));
    this.streamCache = new Map(out.map((s) => [s.id, s]));
    return out;
  }

  private where(filter: ReadingFilter, streams: StreamInfo[], args: unknown[]): string | null {
    const ids = matchingStreamIds(streams, filter);
    if (ids !== null && ids.length === 0) return null;
    const parts: string[] = [];
    if (ids !== null) {
      args.push(ids);
      parts.push(`stream_id = ANY($${args.length}::bigint[])`);
    }
    if (filter.kind !== undefined) {
      args.push(filter.kind);
      parts.push(`kind = $${args.length}`);
    }
    if (filter.from !== undefined) {
      args.push(filter.from);
      parts.push(`time_received >= $${args.length}`);
    }
    if (filter.to !== undefined) {
      args.push(filter.to);
      parts.push(`time_received <= $${args.length}`);
    }
    return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
  }

  async query(filter: ReadingFilter, opts: QueryOptions): Promise<QueryPage> {
    checkQueryOptions(opts);
    const args: unknown[] = [];
    const w = this.where(filter, await this.streams(), args);
    if (w === null) return { rows: [], next_cursor: null };
    const dir = opts.order === 'desc' ? 'DESC' : 'ASC';
    let sql = `SELECT id, stream_id, kind, time_requested, time_received, data FROM records WHERE ${w}`;
    if (opts.cursor) {
      const c = decodeCursor(opts.cursor);
      args.push(c.t, c.id);
      sql += ` AND (time_received, id) ${opts.order === 'desc' ? '<' : '>'} ($${args.length - 1}, $${args.length})`;
    }
    args.push(opts.limit);
    sql += ` ORDER BY time_received ${dir}, id ${dir} LIMIT $${args.length}`;
    const raw = (await this.pool.query(sql, args)).rows as RawRow[];
    const rows = raw.map((r) =>
      shapeRow({ ...r, stream_id: Number(r.stream_id) }, this.streamCache.get(Number(r.stream_id))),
    );
    const last = rows[rows.length - 1];
    return {
      rows,
      next_cursor:
        rows.length === opts.limit && last !== undefined
          ? encodeCursor({ t: last.time_received, id: last.id })
          : null,
    };
  }

  async count(filter: ReadingFilter): Promise<number> {
    const args: unknown[] = [];
    const w = this.where(filter, await this.streams(), args);
    if (w === null) return 0;
    return Number(
      (await this.pool.query(`SELECT count(*) AS n FROM records WHERE ${w}`, args)).rows[0].n,
    );
  }

  async streamStats(from: number, to: number): Promise<StreamStats[]> {
    const r = await this.pool.query(
      `SELECT s.id AS stream_id,
              (SELECT max(time_received) FROM records WHERE stream_id = s.id) AS last_seen,
              (SELECT count(*) FILTER (WHERE kind = 'reading') FROM records WHERE stream_id = s.id AND time_received BETWEEN $1 AND $2) AS readings,
              (SELECT count(*) FILTER (WHERE kind = 'gap' AND (data->>'reason') IS DISTINCT FROM 'rate_change') FROM records WHERE stream_id = s.id AND time_received BETWEEN $1 AND $2) AS gaps
       FROM streams s`,
      [from, to],
    );
    return r.rows.map((x: Record<string, unknown>) => ({
      stream_id: Number(x.stream_id),
      last_seen: x.last_seen === null ? null : Number(x.last_seen),
      readings: Number(x.readings),
      gaps: Number(x.gaps),
    }));
  }

  async totals(): Promise<{ files: number; records: number }> {
    const r = await this.pool.query(
      'SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM records) AS records',
    );
    return { files: Number(r.rows[0].files), records: Number(r.rows[0].records) };
  }
}
