/**
 * Time partitions of the PostgreSQL `records` table (declarative RANGE partitioning on
 * time_received, ms epoch): one partition per UTC day, `records_dYYYYMMDD`, created ahead (today
 * and the next days) and on demand when a file brings a day that has none. A record whose day lies
 * outside the window [today − pastDays, today + aheadDays] (a board with a wrong clock: 1970, 2099)
 * goes to the DEFAULT partition `records_default`, so no time is ever refused. When a day later
 * enters the window and the default already holds rows of it, they are moved into the new
 * partition in the same transaction that attaches it.
 *
 * A store made before partitioning (a plain `records` table) is migrated on open: the old table
 * becomes the partition `records_legacy` covering its own time span (one scan to validate it; no
 * row is copied), see docs/fleet.md "Partitions and retention".
 *
 * Every DDL runs under one advisory lock, so replicas sharing the database may race safely.
 */
import type pg from 'pg';
import type { Logger } from '../../shared/logger.js';

export const DAY_MS = 86_400_000;
const DDL_LOCK = 7261838;

export interface PartitionWindow {
  /** Days before today that get their own partition (older: the default partition). */
  pastDays: number;
  /** Days after today created ahead and accepted into their own partition. */
  aheadDays: number;
}

export const DEFAULT_WINDOW: PartitionWindow = { pastDays: 400, aheadDays: 7 };

/** A partition of `records` and its bounds (null bounds = the default partition). */
export interface PartitionInfo {
  name: string;
  from: number | null;
  to: number | null;
}

export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

export function partitionName(day: number): string {
  const d = new Date(day * DAY_MS).toISOString();
  return `records_d${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}`;
}

/** The records table's columns, created fresh or around a migrated plain table. */
const RECORDS_COLUMNS = `
  id BIGINT NOT NULL,
  file_seq BIGINT NOT NULL,
  record_index INTEGER NOT NULL,
  stream_id BIGINT NOT NULL,
  kind TEXT NOT NULL CONSTRAINT records_kind_check CHECK (kind IN ('reading', 'gap')),
  time_requested DOUBLE PRECISION NOT NULL,
  time_received DOUBLE PRECISION NOT NULL,
  data JSON NOT NULL`;

/** Indexes of the partitioned table (each partition gets its own; equivalent ones are adopted). */
const RECORDS_INDEXES = `
CREATE INDEX IF NOT EXISTS records_p_time ON records (time_received, id);
CREATE INDEX IF NOT EXISTS records_p_stream_time ON records (stream_id, time_received, id);`;

/**
 * Inside the schema transaction (advisory lock held): creates the partitioned `records` table, or
 * migrates a plain one. Returns what it did, for the log.
 */
export async function createOrMigrateRecords(
  c: pg.PoolClient,
  logger: Logger,
): Promise<'created' | 'migrated' | 'present'> {
  const kind = (
    await c.query<{ relkind: string }>(
      "SELECT relkind FROM pg_class WHERE oid = to_regclass('public.records')",
    )
  ).rows[0]?.relkind;
  if (kind === 'p') {
    await c.query(RECORDS_INDEXES);
    return 'present';
  }
  if (kind === undefined) {
    await c.query(`
      CREATE SEQUENCE IF NOT EXISTS records_id_seq;
      CREATE TABLE records (${RECORDS_COLUMNS}) PARTITION BY RANGE (time_received);
      ALTER TABLE records ALTER COLUMN id SET DEFAULT nextval('records_id_seq');
      ALTER SEQUENCE records_id_seq OWNED BY records.id;
      CREATE TABLE records_default PARTITION OF records DEFAULT;
      ${RECORDS_INDEXES}`);
    return 'created';
  }
  // a plain table from before partitioning: it becomes the partition covering its own span
  const span =
    // min and max come from the (time_received, id) index; no count: it would read the table
    (
      await c.query<{ lo: number | null; hi: number | null }>(
        'SELECT min(time_received) AS lo, max(time_received) AS hi FROM records',
      )
    ).rows[0]!;
  logger.info(
    { oldest: span.lo, newest: span.hi },
    'PostgreSQL store: migrating the records table to time partitions (one scan, no copy)',
  );
  await c.query(`
    ALTER TABLE records RENAME TO records_legacy;
    ALTER TABLE IF EXISTS images DROP CONSTRAINT IF EXISTS images_id_fkey;
    CREATE TABLE records (${RECORDS_COLUMNS}) PARTITION BY RANGE (time_received);
    ALTER TABLE records ALTER COLUMN id SET DEFAULT nextval('records_id_seq');
    ALTER SEQUENCE records_id_seq OWNED BY records.id;
    CREATE TABLE records_default PARTITION OF records DEFAULT;`);
  if (span.lo === null || span.hi === null) {
    await c.query('DROP TABLE records_legacy'); // empty: nothing to keep
  } else {
    const from = dayOf(Number(span.lo)) * DAY_MS;
    const to = (dayOf(Number(span.hi)) + 1) * DAY_MS;
    await c.query(
      `ALTER TABLE records ATTACH PARTITION records_legacy FOR VALUES FROM (${from}) TO (${to})`,
    );
  }
  await c.query(RECORDS_INDEXES);
  logger.info(
    {},
    'PostgreSQL store: records are time-partitioned now (old rows in records_legacy)',
  );
  return 'migrated';
}

const BOUND_RE = /FROM \('?([-0-9.e+]+)'?\) TO \('?([-0-9.e+]+)'?\)/i;

/** The partitions of `records` with their bounds, read from the catalog. */
export async function listPartitions(q: pg.Pool | pg.PoolClient): Promise<PartitionInfo[]> {
  const r = await q.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'public.records'::regclass ORDER BY c.relname`,
  );
  return r.rows.map((x) => {
    const m = BOUND_RE.exec(x.bound);
    return m === null
      ? { name: x.name, from: null, to: null }
      : { name: x.name, from: Number(m[1]), to: Number(m[2]) };
  });
}

/** Creates and tracks day partitions; one per store (per replica). */
export class PgPartitions {
  private ranges: PartitionInfo[] = [];

  constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    readonly window: PartitionWindow = DEFAULT_WINDOW,
    private readonly now: () => number = Date.now,
  ) {}

  async refresh(): Promise<PartitionInfo[]> {
    this.ranges = await listPartitions(this.pool);
    return this.ranges;
  }

  /** Whether some non-default partition overlaps the day (then its rows have a home already). */
  private covered(day: number): boolean {
    const lo = day * DAY_MS;
    const hi = lo + DAY_MS;
    return this.ranges.some((p) => p.from !== null && p.to !== null && p.from < hi && p.to > lo);
  }

  /** Days (of `days`) that should get a partition now and have none. */
  missing(days: Iterable<number>): number[] {
    const today = dayOf(this.now());
    const out: number[] = [];
    for (const d of days)
      if (
        d >= today - this.window.pastDays &&
        d <= today + this.window.aheadDays &&
        !this.covered(d)
      )
        out.push(d);
    return out.sort((a, b) => a - b);
  }

  /** Today and the days ahead, so ingest of current data never waits for DDL. */
  async createAhead(): Promise<void> {
    const today = dayOf(this.now());
    const days = Array.from(
      { length: Math.min(this.window.aheadDays, 2) + 1 },
      (_, i) => today + i,
    );
    await this.ensure(days);
  }

  /** Makes sure each in-window day of `days` has its partition (before the ingest transaction). */
  async ensure(days: Iterable<number>): Promise<void> {
    const need = this.missing(days);
    if (need.length === 0) return;
    await this.refresh();
    for (const day of this.missing(need)) await this.create(day);
    await this.refresh();
  }

  private async create(day: number): Promise<void> {
    const name = partitionName(day);
    const from = day * DAY_MS;
    const to = from + DAY_MS;
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT pg_advisory_xact_lock(${DDL_LOCK})`);
      // another replica may have made it (or an overlapping one) meanwhile
      const now = await listPartitions(c);
      if (now.some((p) => p.from !== null && p.to !== null && p.from < to && p.to > from)) {
        await c.query('COMMIT');
        return;
      }
      // CREATE TABLE … PARTITION OF would take an ACCESS EXCLUSIVE lock on `records` (waiting for
      // every running read and holding off all ingest meanwhile); a standalone table attached
      // afterwards needs only SHARE UPDATE EXCLUSIVE, which reads and ingest do not conflict with
      await c.query(`CREATE TABLE ${name} (LIKE records INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      // rows of this day waiting in the default partition move into the new one first
      const moved = await c.query(
        `WITH m AS (DELETE FROM records_default WHERE time_received >= $1 AND time_received < $2 RETURNING *)
         INSERT INTO ${name} SELECT * FROM m`,
        [from, to],
      );
      await c.query(
        `ALTER TABLE records ATTACH PARTITION ${name} FOR VALUES FROM (${from}) TO (${to})`,
      );
      if ((moved.rowCount ?? 0) > 0)
        this.logger.info(
          { partition: name, moved: moved.rowCount },
          'moved rows of a day from the default partition into its own partition',
        );
      await c.query('COMMIT');
      this.logger.debug({ partition: name }, 'created a day partition of records');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }
}

/** Advisory lock id for DDL on records (partition create/drop), shared with retention. */
export const PG_DDL_LOCK = DDL_LOCK;
