/**
 * The fleet store on PostgreSQL: tables prefixed `fleet_` in the cloud's database (the SQL route's
 * reader role is granted only the readings view, so it cannot read them). Every replica of
 * `wharf cloud serve` shares them; `seq()` lets each replica's waiters see writes made by others.
 * The tables, pool and transactions are postgres-pool.ts; row mapping postgres-rows.ts.
 */
import type pg from 'pg';
import { WharfError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type {
  FleetStore,
  FragmentInfo,
  FragmentRevision,
  MachineConfigRow,
  MachineReport,
} from './contract.js';
import { notFound } from './sqlite.js';
import { bumpSeq, fleetTx, openFleetPool, type Client } from './postgres-pool.js';
import { mach, rev } from './postgres-rows.js';

export class PostgresFleetStore implements FleetStore {
  readonly kind = 'postgres' as const;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(
    config: string | pg.PoolConfig,
    logger: Logger = nullLogger,
  ): Promise<PostgresFleetStore> {
    return new PostgresFleetStore(await openFleetPool(config, logger));
  }

  private tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    return fleetTx(this.pool, fn);
  }

  private async info(r: Omit<FragmentInfo, 'tags'>): Promise<FragmentInfo> {
    const tags = await this.pool.query<{ tag: string; revision: number }>(
      'SELECT tag, revision FROM fleet_fragment_tags WHERE fragment_id = $1 ORDER BY tag',
      [r.id],
    );
    return {
      id: r.id,
      name: r.name,
      created_ms: Number(r.created_ms),
      head: Number(r.head),
      updated_ms: Number(r.updated_ms),
      tags: Object.fromEntries(tags.rows.map((t) => [t.tag, Number(t.revision)])),
    };
  }

  async createFragment(
    id: string,
    name: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<FragmentInfo> {
    const now = Date.now();
    await this.tx(async (c) => {
      const r = await c.query(
        'INSERT INTO fleet_fragments VALUES ($1, $2, $3, 1, $3) ON CONFLICT DO NOTHING',
        [id, name, now],
      );
      if (r.rowCount !== 1)
        throw new WharfError('CLOUD_BAD_REQUEST', `fragment "${id}" exists already`);
      await c.query('INSERT INTO fleet_fragment_revisions VALUES ($1, 1, $2, $3, $4)', [
        id,
        JSON.stringify(config),
        now,
        author,
      ]);
      await bumpSeq(c);
    });
    return (await this.fragment(id))!;
  }

  async updateFragment(
    id: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<number> {
    const now = Date.now();
    return this.tx(async (c) => {
      // the row lock serialises concurrent saves (two replicas): revisions stay 1, 2, 3, …
      const r = await c.query<{ head: number }>(
        'UPDATE fleet_fragments SET head = head + 1, updated_ms = $2 WHERE id = $1 RETURNING head',
        [id, now],
      );
      if (r.rowCount !== 1) throw notFound(`fragment "${id}"`);
      const rev = Number(r.rows[0]!.head);
      await c.query('INSERT INTO fleet_fragment_revisions VALUES ($1, $2, $3, $4, $5)', [
        id,
        rev,
        JSON.stringify(config),
        now,
        author,
      ]);
      await bumpSeq(c);
      return rev;
    });
  }

  async tagFragment(id: string, tag: string, revision: number): Promise<void> {
    await this.tx(async (c) => {
      const r = await c.query(
        'SELECT 1 FROM fleet_fragment_revisions WHERE fragment_id = $1 AND revision = $2',
        [id, revision],
      );
      if (r.rowCount !== 1) throw notFound(`revision ${revision} of fragment "${id}"`);
      await c.query(
        `INSERT INTO fleet_fragment_tags VALUES ($1, $2, $3, $4)
         ON CONFLICT (fragment_id, tag) DO UPDATE SET revision = excluded.revision, updated_ms = excluded.updated_ms`,
        [id, tag, revision, Date.now()],
      );
      await bumpSeq(c);
    });
  }

  async fragment(id: string): Promise<FragmentInfo | null> {
    const r = await this.pool.query('SELECT * FROM fleet_fragments WHERE id = $1', [id]);
    return r.rows[0] === undefined ? null : this.info(r.rows[0]);
  }

  async listFragments(limit: number): Promise<FragmentInfo[]> {
    const r = await this.pool.query('SELECT * FROM fleet_fragments ORDER BY id LIMIT $1', [limit]);
    return Promise.all(r.rows.map((x) => this.info(x)));
  }

  async revision(id: string, revision: number): Promise<FragmentRevision | null> {
    const r = await this.pool.query(
      'SELECT * FROM fleet_fragment_revisions WHERE fragment_id = $1 AND revision = $2',
      [id, revision],
    );
    return r.rows[0] === undefined ? null : rev(r.rows[0]);
  }

  async history(id: string, limit: number): Promise<FragmentRevision[]> {
    const r = await this.pool.query(
      'SELECT * FROM fleet_fragment_revisions WHERE fragment_id = $1 ORDER BY revision DESC LIMIT $2',
      [id, limit],
    );
    return r.rows.map(rev);
  }

  async setMachineConfig(
    machine: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<number> {
    return this.tx(async (c) => {
      // one writer per machine at a time (two replicas saving at once get 1 and 2, not 1 twice)
      await c.query('SELECT pg_advisory_xact_lock(7261838, hashtext($1))', [machine]);
      const r = await c.query<{ n: number | null }>(
        'SELECT max(revision) AS n FROM fleet_machine_configs WHERE machine = $1',
        [machine],
      );
      const next = Number(r.rows[0]?.n ?? 0) + 1;
      await c.query('INSERT INTO fleet_machine_configs VALUES ($1, $2, $3, $4, $5)', [
        machine,
        next,
        JSON.stringify(config),
        Date.now(),
        author,
      ]);
      await bumpSeq(c);
      return next;
    });
  }

  async machineConfig(machine: string): Promise<MachineConfigRow | null> {
    const r = await this.pool.query(
      'SELECT * FROM fleet_machine_configs WHERE machine = $1 ORDER BY revision DESC LIMIT 1',
      [machine],
    );
    return r.rows[0] === undefined ? null : mach(r.rows[0]);
  }

  async listMachineConfigs(limit: number): Promise<MachineConfigRow[]> {
    const r = await this.pool.query(
      `SELECT DISTINCT ON (machine) * FROM fleet_machine_configs
       ORDER BY machine, revision DESC LIMIT $1`,
      [limit],
    );
    return r.rows.map(mach);
  }

  async report(rep: MachineReport): Promise<void> {
    await this.pool.query(
      'INSERT INTO fleet_reports VALUES ($1, $2) ON CONFLICT (machine) DO UPDATE SET report = excluded.report',
      [rep.machine, JSON.stringify(rep)],
    );
  }

  async reports(limit: number): Promise<MachineReport[]> {
    const r = await this.pool.query<{ report: MachineReport }>(
      'SELECT report FROM fleet_reports ORDER BY machine LIMIT $1',
      [limit],
    );
    return r.rows.map((x) => x.report);
  }

  async grantAdmin(keyId: string): Promise<void> {
    await this.pool.query('INSERT INTO fleet_admins VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      keyId,
      Date.now(),
    ]);
  }

  async isAdmin(keyId: string): Promise<boolean> {
    const r = await this.pool.query('SELECT 1 FROM fleet_admins WHERE key_id = $1', [keyId]);
    return r.rowCount === 1;
  }

  async seq(): Promise<number> {
    const r = await this.pool.query<{ seq: string }>('SELECT seq FROM fleet_seq');
    return Number(r.rows[0]!.seq);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
