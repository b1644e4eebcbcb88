/**
 * The fleet cloud store on PostgreSQL (node-postgres pool, `synchronous_commit=on` so an
 * acknowledged ingest is durable). Many ingest replicas may share one database: ingest is one
 * transaction per file and `ON CONFLICT` on the file id decides the winner of concurrent uploads.
 */
import pg from 'pg';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import { hashMatches, newKey, parseKey } from '../keys.js';
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
import {
  checkQueryOptions,
  decodeCursor,
  encodeCursor,
  keyInfo,
  matchingStreamIds,
  shapeRow,
  type KeyRow,
  type RawRow,
} from './common.js';
import { PG_READER_SQL, PG_SCHEMA, PG_VIEW_SQL } from './postgres-schema.js';
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
  private streamCache = new Map<number, StreamInfo>();
  private readerRole = false;
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
    }
  }

  /** One transaction per group of files arriving together (pg-ingest.ts). */
  ingest(f: IngestFile): Promise<IngestResult> {
    return this.ingester.ingest(f);
  }

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

  async openSql(sql: string, opts: SqlOptions): Promise<SqlStream> {
    return openPgSql(this.pool, sql, opts, this.readerRole);
  }

  async totals(): Promise<{ files: number; records: number }> {
    const r = await this.pool.query(
      'SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM records) AS records',
    );
    return { files: Number(r.rows[0].files), records: Number(r.rows[0].records) };
  }

  async createKey(machine: string | null, label = ''): Promise<{ info: KeyInfo; key: string }> {
    const k = newKey();
    const now = Date.now();
    await this.pool.query(
      'INSERT INTO api_keys (id, hash, machine, label, created_ms, revoked_ms) VALUES ($1, $2, $3, $4, $5, NULL)',
      [k.id, k.hash, machine, label, now],
    );
    return { info: { id: k.id, machine, label, created_ms: now, revoked_ms: null }, key: k.key };
  }

  async listKeys(): Promise<KeyInfo[]> {
    return (await this.pool.query<KeyRow>('SELECT * FROM api_keys ORDER BY created_ms')).rows.map(
      keyInfo,
    );
  }

  async revokeKey(id: string): Promise<boolean> {
    return (
      ((
        await this.pool.query(
          'UPDATE api_keys SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL',
          [Date.now(), id],
        )
      ).rowCount ?? 0) > 0
    );
  }

  async verifyKey(key: string): Promise<KeyInfo | null> {
    const p = parseKey(key);
    if (p === null) return null;
    const row = (await this.pool.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1', [p.id]))
      .rows[0];
    if (row === undefined || row.revoked_ms !== null || !hashMatches(p.secret, row.hash))
      return null;
    return keyInfo(row);
  }

  async keyById(id: string): Promise<KeyInfo | null> {
    const row = (await this.pool.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]))
      .rows[0];
    return row === undefined || row.revoked_ms !== null ? null : keyInfo(row);
  }

  async maintain(): Promise<void> {
    await this.partitions.refresh();
    await this.partitions.createAhead();
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
