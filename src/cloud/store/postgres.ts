/**
 * The fleet cloud store on PostgreSQL (node-postgres pool, `synchronous_commit=on` so an
 * acknowledged ingest is durable). Many ingest replicas may share one database: ingest is one
 * transaction per file and `ON CONFLICT` on the file id decides the winner of concurrent uploads.
 * Files by job: ingest (pg-ingest.ts, pg-copy.ts), day partitions (pg-partitions.ts), reads and
 * paging (pg-read.ts), API keys (pg-keys.ts), read-only SQL (postgres-sql.ts).
 */
import pg from 'pg';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type {
  CloudStore,
  IngestFile,
  IngestResult,
  KeyInfo,
  QueryOptions,
  QueryPage,
  ReadingFilter,
  SqlOptions,
  SqlStream,
  StreamInfo,
  StreamStats,
} from './contract.js';
import { PgReads } from './pg-read.js';
import { PgKeys } from './pg-keys.js';
import {
  PG_READER_CONTAIN_SQL,
  PG_READER_CONTAINED,
  PG_READER_ROLE,
  PG_READER_SQL,
  PG_SCHEMA,
  PG_VIEW_SQL,
} from './postgres-schema.js';
import { PgIngest, type PgIngestOptions } from './pg-ingest.js';
import {
  createOrMigrateRecords,
  DEFAULT_WINDOW,
  PgPartitions,
  type PartitionWindow,
} from './pg-partitions.js';
import { openPgSql } from './postgres-sql.js';
import { PG_IMAGES_SCHEMA, PgImages } from '../images/postgres-images.js';
import { PG_RETENTION_SCHEMA, PgRetention } from '../retention/pg.js';

export interface PostgresStoreOptions {
  /** Which days get their own partition (default: 400 days back, 7 ahead). */
  partitions?: Partial<PartitionWindow>;
  /** Group commit lanes and sizes (pg-ingest.ts). */
  ingest?: PgIngestOptions;
  /** Clock for partition windows (tests). */
  now?: () => number;
}

export class PostgresStore implements CloudStore {
  readonly kind = 'postgres' as const;
  private readerRole = false;
  private readonly reads: PgReads;
  private readonly keys: PgKeys;
  /** Image index and blobs (src/cloud/images). */
  readonly images: PgImages;

  /** Day partitions of `records` (pg-partitions.ts). */
  readonly partitions: PgPartitions;
  /** Retention policies and their enforcement (src/cloud/retention). */
  readonly retention: PgRetention;
  private readonly ingester: PgIngest;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly logger: Logger,
    opts: PostgresStoreOptions,
  ) {
    this.reads = new PgReads(pool);
    this.keys = new PgKeys(pool);
    this.images = new PgImages(pool, () => this.streams());
    this.partitions = new PgPartitions(
      pool,
      logger,
      { ...DEFAULT_WINDOW, ...opts.partitions },
      opts.now,
    );
    this.retention = new PgRetention(pool, this.partitions, logger);
    this.ingester = new PgIngest(pool, this.partitions, logger, opts.ingest);
  }

  /** Connects, creates the schema if needed. `config` is a connection string or pg config. */
  static async open(
    config: string | pg.PoolConfig,
    logger: Logger = nullLogger,
    opts: PostgresStoreOptions = {},
  ): Promise<PostgresStore> {
    const base: pg.PoolConfig =
      typeof config === 'string' ? { connectionString: config } : { ...config };
    const pool = new pg.Pool({
      max: 8,
      ...base,
      options: `${base.options ?? ''} -c synchronous_commit=on`.trim(),
    });
    pool.on('error', (err) =>
      logger.warn({ err: errorMessage(err) }, 'idle PostgreSQL connection failed'),
    );
    const store = new PostgresStore(pool, logger, opts);
    try {
      await store.init();
    } catch (err) {
      await pool.end();
      throw new WharfError(
        'CLOUD_STORE',
        `cannot open the PostgreSQL store: ${errorMessage(err)}; check the connection string and that the database exists`,
        { cause: err },
      );
    }
    return store;
  }

  private async init(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(7261836)');
      await c.query(PG_SCHEMA);
      await createOrMigrateRecords(c, this.logger);
      await c.query(PG_IMAGES_SCHEMA);
      await c.query(PG_VIEW_SQL);
      await c.query(PG_RETENTION_SCHEMA);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
    await this.partitions.refresh();
    await this.partitions.createAhead();
    try {
      await this.pool.query(PG_READER_SQL);
      this.readerRole = true;
    } catch (err) {
      this.logger.warn(
        { err: errorMessage(err) },
        'cannot create the SQL reader role; read-only SQL relies on READ ONLY transactions only',
      );
      return;
    }
    // without this, a statement leaves the role with set_config('role', …) (postgres-schema.ts)
    try {
      await this.pool.query(PG_READER_CONTAIN_SQL);
    } catch {
      // not a superuser: the check below says so
    }
    const r = await this.pool.query<{ contained: boolean }>(PG_READER_CONTAINED);
    if (r.rows[0]?.contained !== true)
      this.logger.warn(
        {},
        `cannot take set_config from the SQL reader role (needs a superuser, once per database: REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC); until then a SQL statement can leave the ${PG_READER_ROLE} role and read what the connecting user can`,
      );
  }

  /** One transaction per group of files arriving together (pg-ingest.ts). */
  ingest(f: IngestFile): Promise<IngestResult> {
    return this.ingester.ingest(f);
  }

  async streams(): Promise<StreamInfo[]> {
    return this.reads.streams();
  }

  query(filter: ReadingFilter, opts: QueryOptions): Promise<QueryPage> {
    return this.reads.query(filter, opts);
  }

  count(filter: ReadingFilter): Promise<number> {
    return this.reads.count(filter);
  }

  streamStats(from: number, to: number): Promise<StreamStats[]> {
    return this.reads.streamStats(from, to);
  }

  async openSql(sql: string, opts: SqlOptions): Promise<SqlStream> {
    return openPgSql(this.pool, sql, opts, this.readerRole);
  }

  totals(): Promise<{ files: number; records: number }> {
    return this.reads.totals();
  }

  createKey(machine: string | null, label = ''): Promise<{ info: KeyInfo; key: string }> {
    return this.keys.create(machine, label);
  }

  listKeys(): Promise<KeyInfo[]> {
    return this.keys.list();
  }

  revokeKey(id: string): Promise<boolean> {
    return this.keys.revoke(id);
  }

  verifyKey(key: string): Promise<KeyInfo | null> {
    return this.keys.verify(key);
  }

  keyById(id: string): Promise<KeyInfo | null> {
    return this.keys.byId(id);
  }

  async maintain(): Promise<void> {
    await this.partitions.refresh();
    await this.partitions.createAhead();
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
