/**
 * Cloud ingest throughput: a backlog of 1,000 capture files (2-reader Analogs records) ingested
 * into SQLite and into PostgreSQL, (1) at the store (decode + checksum + one transaction per file,
 * durable commit) and (2) end to end through the HTTP API with the sync worker.
 *
 *   npm run bench:ingest            (or: node --import tsx bench/ingest.ts [--files 1000] [--records 500] [--stores sqlite,postgres])
 * PostgreSQL is measured when a local server accepts a socket connection (else skipped, said so).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { decodeCaptureFile } from '../src/capture/file-format.js';
import type { CloudStore } from '../src/cloud/store/contract.js';
import { PostgresStore } from '../src/cloud/store/postgres.js';
import { SqliteStore } from '../src/cloud/store/sqlite.js';
import { HttpSyncTarget } from '../src/sync/http-target.js';
import { SyncWorker } from '../src/sync/worker.js';
import { startCloudChild } from './cloud-child.js';
import { benchFiles, writeBacklog, type BenchFile } from './sync-fixtures.js';

const { values } = parseArgs({
  options: { files: { type: 'string' }, records: { type: 'string' }, stores: { type: 'string' } },
});
const STORES = (values.stores ?? 'sqlite,postgres').split(',');
const FILES = Number(values.files ?? 1000);
const PER_FILE = Number(values.records ?? 500);

/** Decode + checksum + store.ingest, `window` files in flight (like concurrent uploads). */
async function storeIngest(store: CloudStore, files: BenchFile[], window: number): Promise<number> {
  const t = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++]!;
      const dec = decodeCaptureFile(f.bytes);
      const sha256 = createHash('sha256').update(f.bytes).digest('hex');
      await store.ingest({
        file_id: dec.header.file_id,
        sha256,
        bytes: f.bytes.length,
        meta: dec.header.meta,
        records: dec.records,
      });
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return (performance.now() - t) / 1000;
}

/** The gateway's sync worker uploading the backlog to `wharf cloud serve` in a child process. */
async function httpIngest(
  where: { db: string } | { pg: string },
  files: BenchFile[],
  concurrency: number,
): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'wharf-bench-backlog-'));
  writeBacklog(dir, files);
  const cloud = await startCloudChild(where);
  const worker = new SyncWorker({
    captureDir: dir,
    target: new HttpSyncTarget({ url: cloud.url, apiKey: cloud.key }),
    intervalMs: 60_000,
    persistStatus: false,
    concurrency,
  });
  const t = performance.now();
  const r = await worker.syncNow();
  const s = (performance.now() - t) / 1000;
  await worker.stop();
  await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
  if (r.error !== null || r.remaining !== 0) throw new Error(`sync failed: ${r.error?.message}`);
  return s;
}

async function pgDb(): Promise<{ config: pg.PoolConfig; drop: () => Promise<void> } | null> {
  for (const user of [process.env.PGUSER, 'postgres', userInfo().username].filter(
    Boolean,
  ) as string[]) {
    const admin = new pg.Client({
      host: '/var/run/postgresql',
      user,
      database: 'postgres',
      connectionTimeoutMillis: 2000,
    });
    try {
      await admin.connect();
      const name = `wharf_bench_${process.pid}_${Date.now() % 100000}`;
      await admin.query(`CREATE DATABASE ${name}`);
      await admin.end();
      return {
        config: { host: '/var/run/postgresql', user, database: name },
        drop: async () => {
          const a = new pg.Client({ host: '/var/run/postgresql', user, database: 'postgres' });
          await a.connect();
          await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await a.end();
        },
      };
    } catch {
      await admin.end().catch(() => undefined);
    }
  }
  return null;
}

const total = FILES * PER_FILE;
const line = (what: string, s: number): void => {
  console.log(
    `${what.padEnd(42)} ${(total / s).toFixed(0).padStart(9)} readings/s  ${((total * 2) / s).toFixed(0).padStart(9)} reader values/s  (${s.toFixed(2)} s)`,
  );
};

const files = benchFiles(FILES, PER_FILE);
const mb = files.reduce((a, f) => a + f.bytes.length, 0) / 1e6;
console.log(
  `wharf ingest bench: ${FILES} capture files × ${PER_FILE} readings (2 readers each) = ${total} readings, ${mb.toFixed(1)} MB`,
);

const MODES: {
  label: string;
  run: (s: CloudStore, where: { db: string } | { pg: string }) => Promise<number>;
}[] = [
  { label: 'store.ingest, 1 file at a time', run: (s) => storeIngest(s, files, 1) },
  { label: 'store.ingest, 16 files in flight', run: (s) => storeIngest(s, files, 16) },
  { label: 'sync worker → HTTP cloud, 4 uploads', run: (_s, where) => httpIngest(where, files, 4) },
];

for (const m of STORES.includes('sqlite') ? MODES : []) {
  const dir = mkdtempSync(path.join(tmpdir(), 'wharf-bench-sqlite-'));
  const file = path.join(dir, 'cloud.db');
  let store = new SqliteStore(file);
  if (m.label.startsWith('sync')) await store.close();
  const s = await m.run(store, { db: file });
  if (m.label.startsWith('sync')) store = new SqliteStore(file);
  const t = await store.totals();
  if (t.records !== total) throw new Error(`SQLite holds ${t.records} records, expected ${total}`);
  line(`SQLite   ${m.label}`, s);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

for (const m of STORES.includes('postgres') ? MODES : []) {
  const db = await pgDb();
  if (db === null) {
    console.log('PostgreSQL: skipped (no local server reachable on /var/run/postgresql)');
    break;
  }
  const store = await PostgresStore.open(db.config);
  const url = `postgres://${encodeURIComponent(String(db.config.user))}@${encodeURIComponent('/var/run/postgresql')}/${String(db.config.database)}`;
  const s = await m.run(store, { pg: url });
  const t = await store.totals();
  if (t.records !== total)
    throw new Error(`PostgreSQL holds ${t.records} records, expected ${total}`);
  line(`Postgres ${m.label}`, s);
  await store.close();
  await db.drop();
}
