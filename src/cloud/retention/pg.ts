/**
 * Retention on PostgreSQL (contract.ts). `records` is partitioned by day (store/pg-partitions.ts):
 *
 *  1. a day partition is dropped whole when some machine's policy has passed its end and no
 *     machine that must keep it (no policy, or a longer one) has a row in it — checked and dropped
 *     in one transaction that holds ingest off `records` (SHARE ROW EXCLUSIVE: reads go on), after
 *     counting what it holds per machine for the account;
 *  2. where machines in one partition differ (and in the default and legacy partitions), the past
 *     machine's rows are deleted in bounded batches (20,000 rows a statement).
 *
 * Each removal writes its `retention_events` row in the same transaction as the removal, so the
 * account can never miss what was removed. One replica enforces at a time (advisory lock).
 */
import type pg from 'pg';
import type { Logger } from '../../shared/logger.js';
import { listPartitions, PG_DDL_LOCK, type PgPartitions } from '../store/pg-partitions.js';
import {
  cutoffOf,
  type RetentionEvent,
  type RetentionPolicy,
  type RetentionStore,
} from './contract.js';

const ENFORCE_LOCK = 7261839;
const BATCH = 20_000;

export const PG_RETENTION_SCHEMA = `
CREATE TABLE IF NOT EXISTS retention_policies (
  machine TEXT PRIMARY KEY,
  days INTEGER NOT NULL CHECK (days >= 1),
  updated_ms DOUBLE PRECISION NOT NULL,
  author TEXT
);
CREATE TABLE IF NOT EXISTS retention_events (
  id BIGSERIAL PRIMARY KEY,
  at_ms DOUBLE PRECISION NOT NULL,
  machine TEXT NOT NULL,
  days INTEGER NOT NULL,
  cutoff_ms DOUBLE PRECISION NOT NULL,
  how TEXT NOT NULL CHECK (how IN ('drop_partition', 'delete_rows')),
  partition TEXT,
  readings BIGINT NOT NULL,
  gaps BIGINT NOT NULL,
  images BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS retention_events_at ON retention_events (at_ms);
`;

const INSERT_EVENT = `INSERT INTO retention_events (at_ms, machine, days, cutoff_ms, how, partition, readings, gaps, images)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

interface Machine {
  name: string;
  days: number;
  cutoff: number;
  streams: number[];
}

const eventRow = (x: Record<string, unknown>): RetentionEvent => ({
  at_ms: Number(x.at_ms),
  machine: String(x.machine),
  days: Number(x.days),
  cutoff_ms: Number(x.cutoff_ms),
  how: x.how === 'drop_partition' ? 'drop_partition' : 'delete_rows',
  partition: x.partition === null ? null : String(x.partition),
  readings: Number(x.readings),
  gaps: Number(x.gaps),
  images: Number(x.images),
});

export class PgRetention implements RetentionStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly partitions: PgPartitions,
    private readonly logger: Logger,
  ) {}

  async setPolicy(machine: string, days: number | null, author: string | null): Promise<void> {
    if (days === null) {
      await this.pool.query('DELETE FROM retention_policies WHERE machine = $1', [machine]);
      return;
    }
    await this.pool.query(
      `INSERT INTO retention_policies (machine, days, updated_ms, author) VALUES ($1, $2, $3, $4)
       ON CONFLICT (machine) DO UPDATE SET days = $2, updated_ms = $3, author = $4`,
      [machine, days, Date.now(), author],
    );
  }

  async policies(): Promise<RetentionPolicy[]> {
    const r = await this.pool.query(
      'SELECT machine, days, updated_ms, author FROM retention_policies ORDER BY machine',
    );
    return r.rows.map((x: Record<string, unknown>) => ({
      machine: String(x.machine),
      days: Number(x.days),
      updated_ms: Number(x.updated_ms),
      author: x.author === null ? null : String(x.author),
    }));
  }

  async events(limit: number): Promise<RetentionEvent[]> {
    const r = await this.pool.query(
      'SELECT * FROM retention_events ORDER BY at_ms DESC, id DESC LIMIT $1',
      [Math.max(1, Math.min(10_000, Math.floor(limit)))],
    );
    return r.rows.map(eventRow);
  }

  async enforce(now = Date.now()): Promise<RetentionEvent[]> {
    const c = await this.pool.connect();
    try {
      const got = await c.query<{ ok: boolean }>(
        `SELECT pg_try_advisory_lock(${ENFORCE_LOCK}) AS ok`,
      );
      if (got.rows[0]?.ok !== true) return []; // another replica is at it
      try {
        return await this.enforceLocked(c, now);
      } finally {
        await c.query(`SELECT pg_advisory_unlock(${ENFORCE_LOCK})`);
      }
    } finally {
      c.release();
    }
  }

  private async enforceLocked(c: pg.PoolClient, now: number): Promise<RetentionEvent[]> {
    const policies = await this.policies();
    if (policies.length === 0) return [];
    const streams = (
      await c.query<{ id: string; machine: string }>('SELECT id, machine FROM streams')
    ).rows.map((s) => ({ id: Number(s.id), machine: s.machine }));
    const byName = new Map(
      policies.map((p) => [
        p.machine,
        { name: p.machine, days: p.days, cutoff: cutoffOf(now, p.days), streams: [] } as Machine,
      ]),
    );
    for (const s of streams) byName.get(s.machine)?.streams.push(s.id);
    const machines = [...byName.values()];
    const maxCutoff = Math.max(...machines.map((m) => m.cutoff));
    const events: RetentionEvent[] = [];
    const shas = new Set<string>();

    // 1. whole day partitions
    for (const p of await listPartitions(c)) {
      if (p.from === null || p.to === null || p.to > maxCutoff) continue;
      events.push(...(await this.dropIfPast(c, p.name, p.from, p.to, now, shas)));
    }
    await this.partitions.refresh();

    // 2. rows, where machines in one partition differ (and the default / legacy partitions)
    for (const m of machines) {
      if (m.streams.length === 0) continue;
      for (const p of await listPartitions(c)) {
        if (p.from !== null && p.from >= m.cutoff) continue;
        const ev = await this.deleteRows(c, p.name, m, now);
        if (ev !== null) events.push(ev);
      }
      const im = await c.query<{ sha256: string }>(
        'DELETE FROM images WHERE stream_id = ANY($1::bigint[]) AND time_received < $2 RETURNING sha256',
        [m.streams, m.cutoff],
      );
      if (im.rows.length > 0) {
        for (const r of im.rows) shas.add(r.sha256);
        const ev: RetentionEvent = {
          at_ms: now,
          machine: m.name,
          days: m.days,
          cutoff_ms: m.cutoff,
          how: 'delete_rows',
          partition: null,
          readings: 0,
          gaps: 0,
          images: im.rows.length,
        };
        await c.query(INSERT_EVENT, [now, m.name, m.days, m.cutoff, ev.how, null, 0, 0, ev.images]);
        events.push(ev);
      }
    }
    if (shas.size > 0)
      await c.query(
        `DELETE FROM image_blobs b WHERE b.sha256 = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM images i WHERE i.sha256 = b.sha256)`,
        [[...shas]],
      );
    return events;
  }

  /**
   * Drops partition `name` [from, to) when every stream with a row in it belongs to a machine whose
   * policy has passed `to`; accounts per machine. Policies and streams are read again under the
   * lock: a stream made (or a policy cleared) since the run began must keep its rows.
   */
  private async dropIfPast(
    c: pg.PoolClient,
    name: string,
    from: number,
    to: number,
    now: number,
    shas: Set<string>,
  ): Promise<RetentionEvent[]> {
    const ident = c.escapeIdentifier(name);
    await c.query('BEGIN');
    try {
      await c.query(`SELECT pg_advisory_xact_lock(${PG_DDL_LOCK})`);
      // no ingest from here to the commit (reads go on)
      await c.query('LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE');
      const still = await c.query('SELECT 1 FROM pg_class WHERE oid = to_regclass($1)', [name]);
      if (still.rowCount === 0) {
        await c.query('COMMIT'); // dropped meanwhile (another replica)
        return [];
      }
      const byName = new Map<string, Machine>();
      for (const p of (
        await c.query<{ machine: string; days: number }>(
          'SELECT machine, days FROM retention_policies',
        )
      ).rows)
        byName.set(p.machine, {
          name: p.machine,
          days: Number(p.days),
          cutoff: cutoffOf(now, Number(p.days)),
          streams: [],
        });
      const streams = (
        await c.query<{ id: string; machine: string }>('SELECT id, machine FROM streams')
      ).rows.map((s) => ({ id: Number(s.id), machine: s.machine }));
      const machineOfStream = new Map(streams.map((s) => [s.id, s.machine]));
      const keep = streams
        .filter((s) => {
          const m = byName.get(s.machine);
          return m === undefined || m.cutoff < to;
        })
        .map((s) => s.id);
      // a row of a stream not in `streams` cannot exist (a stream is committed before its rows),
      // but if it did, it would keep the partition: never drop what cannot be accounted
      const kept =
        (
          await c.query(
            `SELECT 1 FROM ${ident} WHERE stream_id = ANY($1::bigint[]) OR NOT (stream_id = ANY($2::bigint[])) LIMIT 1`,
            [keep, streams.map((s) => s.id)],
          )
        ).rowCount! > 0;
      if (kept) {
        await c.query('COMMIT');
        return [];
      }
      const counts = await c.query<{ stream_id: string; kind: string; n: string }>(
        `SELECT stream_id, kind, count(*) AS n FROM ${ident} GROUP BY stream_id, kind`,
      );
      const im = await c.query<{ stream_id: string; sha256: string }>(
        `DELETE FROM images WHERE time_received >= $1 AND time_received < $2
         AND NOT (stream_id = ANY($3::bigint[])) RETURNING stream_id, sha256`,
        [from, to, keep],
      );
      await c.query(`DROP TABLE ${ident}`);
      const per = new Map<string, RetentionEvent>();
      const ev = (stream: number): RetentionEvent | undefined => {
        const machine = machineOfStream.get(stream);
        const m = machine === undefined ? undefined : byName.get(machine);
        if (m === undefined) return undefined;
        let e = per.get(m.name);
        if (e === undefined) {
          e = {
            at_ms: now,
            machine: m.name,
            days: m.days,
            cutoff_ms: m.cutoff,
            how: 'drop_partition',
            partition: name,
            readings: 0,
            gaps: 0,
            images: 0,
          };
          per.set(m.name, e);
        }
        return e;
      };
      for (const r of counts.rows) {
        const e = ev(Number(r.stream_id));
        if (e === undefined) continue;
        if (r.kind === 'gap') e.gaps += Number(r.n);
        else e.readings += Number(r.n);
      }
      for (const r of im.rows) {
        const e = ev(Number(r.stream_id));
        if (e !== undefined) e.images++;
        shas.add(r.sha256);
      }
      for (const e of per.values())
        await c.query(INSERT_EVENT, [
          e.at_ms,
          e.machine,
          e.days,
          e.cutoff_ms,
          e.how,
          e.partition,
          e.readings,
          e.gaps,
          e.images,
        ]);
      await c.query('COMMIT');
      this.logger.info(
        { partition: name, machines: [...per.keys()] },
        'retention: dropped a day partition (every machine in it is past its retention policy)',
      );
      return [...per.values()];
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** Deletes machine `m`'s rows before its cutoff from one partition, in bounded batches. */
  private async deleteRows(
    c: pg.PoolClient,
    partition: string,
    m: Machine,
    now: number,
  ): Promise<RetentionEvent | null> {
    const ident = c.escapeIdentifier(partition);
    const total: RetentionEvent = {
      at_ms: now,
      machine: m.name,
      days: m.days,
      cutoff_ms: m.cutoff,
      how: 'delete_rows',
      partition,
      readings: 0,
      gaps: 0,
      images: 0,
    };
    for (;;) {
      // the delete and its account commit together (one statement)
      const r = await c.query<{ readings: string; gaps: string }>(
        `WITH d AS (
           DELETE FROM ${ident} WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM ${ident} WHERE stream_id = ANY($1::bigint[]) AND time_received < $2 LIMIT ${BATCH}))
           RETURNING kind),
         n AS (SELECT count(*) FILTER (WHERE kind = 'reading') AS readings,
                      count(*) FILTER (WHERE kind = 'gap') AS gaps FROM d),
         e AS (INSERT INTO retention_events (at_ms, machine, days, cutoff_ms, how, partition, readings, gaps, images)
               SELECT $3, $4, $5, $2, 'delete_rows', $6, readings, gaps, 0 FROM n WHERE readings + gaps > 0)
         SELECT readings, gaps FROM n`,
        [m.streams, m.cutoff, now, m.name, m.days, partition],
      );
      const readings = Number(r.rows[0]?.readings ?? 0);
      const gaps = Number(r.rows[0]?.gaps ?? 0);
      total.readings += readings;
      total.gaps += gaps;
      if (readings + gaps < BATCH) break;
    }
    return total.readings + total.gaps > 0 ? total : null;
  }
}
