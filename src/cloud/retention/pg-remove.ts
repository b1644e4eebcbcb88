/**
 * The removals of PostgreSQL retention (pg.ts decides the order): a whole day partition, a
 * machine's rows in one partition in bounded batches, a machine's images. Each writes its
 * `retention_events` row in the same transaction (or statement) as the removal.
 */
import type pg from 'pg';
import type { Logger } from '../../shared/logger.js';
import { PG_DDL_LOCK } from '../store/pg-partitions.js';
import { cutoffOf, type RetentionEvent } from './contract.js';

export interface Machine {
  name: string;
  days: number;
  cutoff: number;
  streams: number[];
}

const BATCH = 20_000;

const INSERT_EVENT = `INSERT INTO retention_events (at_ms, machine, days, cutoff_ms, how, partition, readings, gaps, images)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`;

/** Deletes a machine's images before its cutoff, and accounts for them in the same statement. */
export async function deleteMachineImages(
  c: pg.PoolClient,
  m: Machine,
  now: number,
  shas: Set<string>,
): Promise<RetentionEvent | null> {
  const r = await c.query<{ sha256: string }>(
    `WITH d AS (DELETE FROM images WHERE stream_id = ANY($1::bigint[]) AND time_received < $2 RETURNING sha256),
     e AS (INSERT INTO retention_events (at_ms, machine, days, cutoff_ms, how, partition, readings, gaps, images)
           SELECT $3, $4, $5, $2, 'delete_rows', NULL, 0, 0, count(*) FROM d HAVING count(*) > 0)
     SELECT sha256 FROM d`,
    [m.streams, m.cutoff, now, m.name, m.days],
  );
  if (r.rows.length === 0) return null;
  for (const x of r.rows) shas.add(x.sha256);
  return {
    at_ms: now,
    machine: m.name,
    days: m.days,
    cutoff_ms: m.cutoff,
    how: 'delete_rows',
    partition: null,
    readings: 0,
    gaps: 0,
    images: r.rows.length,
  };
}

/**
 * Drops partition `name` [from, to) when every stream with a row in it belongs to a machine whose
 * policy has passed `to`; accounts per machine. Policies and streams are read again under the
 * lock: a stream made (or a policy cleared) since the run began must keep its rows.
 */
export async function dropPartitionIfPast(
  c: pg.PoolClient,
  logger: Logger,
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
    logger.info(
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
export async function deleteMachineRows(
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
