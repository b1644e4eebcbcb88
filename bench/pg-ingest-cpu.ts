/**
 * CPU cost of PostgreSQL ingest per reading, which a busy shared machine does not distort the way
 * it distorts wall-clock readings/s: capture files decoded beforehand, then `store.ingest` with
 * `--window` files in flight; prints the wall-clock rate, this process's CPU per reading
 * (checksum + COPY text + driver) and the CPU of the PostgreSQL processes serving it (this
 * database's backends + the WAL writer, checkpointer and background writer) per reading, and the
 * rate two idle cores could reach at that cost (2 / total CPU per reading).
 *
 *   node --import tsx bench/pg-ingest-cpu.ts [--files 200] [--records 500] [--window 16]
 *
 * Linux only (/proc). Run it against the commit before a change and after, alternating.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { decodeCaptureFile } from '../src/capture/file-format.js';
import { PostgresStore } from '../src/cloud/store/postgres.js';
import { benchFiles } from './sync-fixtures.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string' },
    records: { type: 'string' },
    window: { type: 'string' },
  },
});
const FILES = Number(values.files ?? 200);
const PER = Number(values.records ?? 500);
const WINDOW = Number(values.window ?? 16);
const HOST = '/var/run/postgresql';
const USER = process.env.PGUSER ?? userInfo().username;

const cpuOf = (pid: number): number => {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.indexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN; // gone
  }
};

const admin = new pg.Client({ host: HOST, user: USER, database: 'postgres' });
await admin.connect();
const name = `wharf_bench_cpu_${process.pid}`;
await admin.query(`CREATE DATABASE ${name}`);
const pids = async (): Promise<number[]> =>
  (
    await admin.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1
       OR backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
      [name],
    )
  ).rows.map((r) => r.pid);

try {
  const store = await PostgresStore.open({ host: HOST, user: USER, database: name });
  const files = benchFiles(FILES + WINDOW, PER).map((f) => ({ f, d: decodeCaptureFile(f.bytes) }));
  const ingest = async (x: (typeof files)[number]) =>
    store.ingest({
      file_id: x.d.header.file_id,
      sha256: createHash('sha256').update(x.f.bytes).digest('hex'),
      bytes: x.f.bytes.length,
      meta: x.d.header.meta,
      records: x.d.records,
    });
  // warm up: open the pool's connections (their backends are what we measure)
  await Promise.all(files.slice(0, WINDOW).map(ingest));
  const work = files.slice(WINDOW);
  const before = new Map((await pids()).map((p) => [p, cpuOf(p)]));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (next < work.length) await ingest(work[next++]!);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  let pgCpu = 0;
  for (const [p, c0p] of before) {
    const d = cpuOf(p) - c0p;
    if (Number.isFinite(d)) pgCpu += d;
  }
  const n = FILES * PER;
  const nodeUs = ((c.user + c.system) / n) * 1;
  const pgUs = (pgCpu / n) * 1e6;
  const t = await store.totals();
  if (t.records !== (FILES + WINDOW) * PER) throw new Error(`stored ${t.records} records`);
  console.log(
    `${n} readings, ${WINDOW} files in flight: ${(n / s).toFixed(0)} readings/s wall-clock; CPU per reading: node ${nodeUs.toFixed(2)} µs + PostgreSQL ${pgUs.toFixed(2)} µs = ${(nodeUs + pgUs).toFixed(2)} µs → ${(2e6 / (nodeUs + pgUs)).toFixed(0)} readings/s on 2 idle cores`,
  );
  await store.close();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
