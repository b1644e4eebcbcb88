/**
 * The embedded cloud store: one SQLite file through better-sqlite3, WAL with synchronous=FULL so an
 * acknowledged ingest survives a power cut (sqlite-open.ts). Files by job: ingest
 * (sqlite-ingest.ts, under the group commit of sqlite-group-commit.ts), reads and paging
 * (sqlite-read.ts), API keys (sqlite-keys.ts). Read-only SQL runs in a child process on a read-only
 * connection (see sqlite-sql.ts), so a runaway statement can be killed without blocking ingest.
 */
import type Database from 'better-sqlite3';
import { WharfError } from '../../shared/errors.js';
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
import { openSqliteStoreDb } from './sqlite-open.js';
import { SqliteIngest } from './sqlite-ingest.js';
import { SqliteReads } from './sqlite-read.js';
import { SqliteKeys } from './sqlite-keys.js';
import { openSqliteSql } from './sqlite-sql.js';
import { SqliteGroupCommit } from './sqlite-group-commit.js';
import { SqliteRollup, type RollupRow } from './sqlite-rollup.js';
import { SqliteImages } from '../images/sqlite-images.js';
import { SqliteRetention } from '../retention/sqlite.js';

export class SqliteStore implements CloudStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private readonly reads: SqliteReads;
  private readonly keys: SqliteKeys;
  private readonly rollup: SqliteRollup;
  private readonly commits: SqliteGroupCommit;
  /** Image index and blobs (src/cloud/images). */
  readonly images: SqliteImages;
  /** Retention policies and their enforcement (src/cloud/retention). */
  readonly retention: SqliteRetention;

  constructor(readonly path: string) {
    const db = openSqliteStoreDb(path);
    this.db = db;
    this.reads = new SqliteReads(db);
    this.keys = new SqliteKeys(db);
    this.rollup = new SqliteRollup(db);
    this.images = new SqliteImages(db, path, () => this.streams());
    this.retention = new SqliteRetention(db, this.images.blobs);
    const ingest = new SqliteIngest(db, this.rollup, this.images);
    this.commits = new SqliteGroupCommit(
      db.transaction((fn: () => void) => fn()),
      ingest.tx,
    );
  }

  /** Per-minute rollup rows (whole minutes firstMinute..lastMinute) for series over wide ranges. */
  rollupRows(streamIds: readonly number[], firstMinute: number, lastMinute: number): RollupRow[] {
    return this.rollup.rows(streamIds, firstMinute, lastMinute);
  }

  /** Group commit: concurrent uploads share one transaction and one fsync (see sqlite-group-commit.ts). */
  ingest(file: IngestFile): Promise<IngestResult> {
    return this.commits.add(file);
  }

  async streams(): Promise<StreamInfo[]> {
    return this.reads.streams();
  }

  async query(filter: ReadingFilter, opts: QueryOptions): Promise<QueryPage> {
    return this.reads.query(filter, opts);
  }

  async count(filter: ReadingFilter): Promise<number> {
    return this.reads.count(filter);
  }

  async streamStats(from: number, to: number): Promise<StreamStats[]> {
    return this.reads.streamStats(from, to);
  }

  async openSql(sql: string, opts: SqlOptions): Promise<SqlStream> {
    if (this.path === ':memory:')
      throw new WharfError(
        'CLOUD_STORE',
        'SQL needs a file-backed SQLite store (this one is in memory)',
      );
    return openSqliteSql(this.path, sql, opts);
  }

  async totals(): Promise<{ files: number; records: number }> {
    return this.reads.totals();
  }

  async createKey(machine: string | null, label = ''): Promise<{ info: KeyInfo; key: string }> {
    return this.keys.create(machine, label);
  }

  async listKeys(): Promise<KeyInfo[]> {
    return this.keys.list();
  }

  async revokeKey(id: string): Promise<boolean> {
    return this.keys.revoke(id);
  }

  async verifyKey(key: string): Promise<KeyInfo | null> {
    return this.keys.verify(key);
  }

  async keyById(id: string): Promise<KeyInfo | null> {
    return this.keys.byId(id);
  }

  async close(): Promise<void> {
    while (this.commits.waiting > 0 && this.db.open) this.commits.flush();
    if (this.db.open) this.db.close();
  }
}
