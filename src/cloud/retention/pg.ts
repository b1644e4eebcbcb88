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
import { listPartitions, type PgPartitions } from '../store/pg-partitions.js';
import {
  deleteMachineImages,
  deleteMachineRows,
  dropPartitionIfPast,
  type Machine,
} from './pg-remove.js';
import {
  cutoffOf,
  type RetentionEvent,
  type RetentionPolicy,
  type RetentionStore,
} from './contract.js';

const ENFORCE_LOCK = 7261839;

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
      events.push(...(await dropPartitionIfPast(c, this.logger, p.name, p.from, p.to, now, shas)));
    }
    await this.partitions.refresh();

    // 2. rows, where machines in one partition differ (and the default / legacy partitions)
    for (const m of machines) {
      // the policy as it is now: one cleared or lengthened during the run deletes nothing more
      const now_ = (
        await c.query<{ days: number }>('SELECT days FROM retention_policies WHERE machine = $1', [
          m.name,
        ])
      ).rows[0];
      if (now_ === undefined || Number(now_.days) !== m.days) continue;
      if (m.streams.length === 0) continue;
      for (const p of await listPartitions(c)) {
        if (p.from !== null && p.from >= m.cutoff) continue;
        const ev = await deleteMachineRows(c, p.name, m, now);
        if (ev !== null) events.push(ev);
      }
      const ev = await deleteMachineImages(c, m, now, shas);
      if (ev !== null) events.push(ev);
    }
    if (shas.size > 0)
      await c.query(
        `DELETE FROM image_blobs b WHERE b.sha256 = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM images i WHERE i.sha256 = b.sha256)`,
        [[...shas]],
      );
    return events;
  }
}
