/**
 * Read speed of the SQLite cloud store's pages, counts and SQL with fast streams: N streams of
 * Analogs readings at H Hz for M minutes are stored (straight through the store, no HTTP), then each read runs 5 times and its median, min and max are printed. This is where
 * readings stored by the chunk (SQLite schema 5) cost most: a chunk is parsed whole for any
 * reading of it, and SQL expands every chunk (docs/benchmarks.md, docs/cloud.md).
 *
 *   npm run bench:pages [-- --streams 20] [--hz 100] [--minutes 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteStore } from '../src/cloud/store/sqlite.js';
import { BENCH_META, benchRecords } from './sync-fixtures.js';

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '20' },
    hz: { type: 'string', default: '100' },
    minutes: { type: 'string', default: '5' },
  },
});
const STREAMS = Number(values.streams);
const HZ = Number(values.hz);
const SECONDS = Number(values.minutes) * 60;
const PER_FILE = 2500;
const T0 = Date.UTC(2026, 0, 1);

const home = mkdtempSync(path.join(tmpdir(), 'wharf-bench-pages-'));
const store = new SqliteStore(path.join(home, 'cloud.db'));
const perStream = Math.round(SECONDS * HZ);
const stepMs = 1000 / HZ;
const seeded = performance.now();
for (let s = 0; s < STREAMS; s++) {
  const files = [];
  for (let i = 0; i < perStream; i += PER_FILE) {
    const recs = benchRecords(Math.min(PER_FILE, perStream - i), 0, s + i).map((r, k) =>
      r.kind === 'reading'
        ? {
            ...r,
            time_requested: T0 + (i + k) * stepMs + s,
            time_received: T0 + (i + k) * stepMs + s + 1.25,
          }
        : r,
    );
    files.push(
      store.ingest({
        file_id: `bench-pages-${s}-${i}`,
        sha256: 'bench',
        bytes: 0,
        meta: { ...BENCH_META(s), component_name: `esp-${s}` },
        records: recs,
      }),
    );
  }
  await Promise.all(files);
}
const total = STREAMS * perStream;
console.log(
  `wharf page bench: SQLite, ${STREAMS} streams × ${HZ} Hz × ${SECONDS} s = ${total.toLocaleString('en')} records, stored in ${((performance.now() - seeded) / 1000).toFixed(1)} s`,
);
console.log('| read | median ms | min–max |\n|---|---|---|');
const end = T0 + SECONDS * 1000;

async function time(name: string, fn: () => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    await fn();
    ms.push(performance.now() - s);
  }
  ms.sort((a, b) => a - b);
  console.log(`| ${name} | ${ms[2]!.toFixed(1)} | ${ms[0]!.toFixed(1)}–${ms[4]!.toFixed(1)} |`);
}

async function sql(q: string): Promise<void> {
  const s = await store.openSql(q, { timeoutMs: 60_000, maxRows: 1000 });
  for await (const b of s.batches) void b;
}

await time('newest 50, no filter', () => store.query({}, { limit: 50, order: 'desc' }));
await time('newest 50, one stream', () =>
  store.query({ component_name: ['esp-1'] }, { limit: 50, order: 'desc' }),
);
await time('50 from the middle (ascending)', () =>
  store.query({ from: T0 + (SECONDS * 1000) / 2 }, { limit: 50, order: 'asc' }),
);
await time('newest 1,000', () => store.query({}, { limit: 1000, order: 'desc' }));
const first = await store.query({}, { limit: 5000, order: 'desc' });
await time('next 5,000 by cursor', () =>
  store.query({}, { limit: 5000, order: 'desc', cursor: first.next_cursor }),
);
await time('count, last minute', () => store.count({ from: end - 60_000 }));
await time('fleet stats, whole range', () => store.streamStats(T0, end));
await time('SQL: count(*)', () => sql('SELECT count(*) FROM readings'));
await time('SQL: count(*), last minute', () =>
  sql(`SELECT count(*) FROM readings WHERE time_received > ${end - 60_000}`),
);
await time('SQL: newest 50 of one stream', () =>
  sql(
    "SELECT time_received, data FROM readings WHERE component_name = 'esp-1' ORDER BY time_received DESC LIMIT 50",
  ),
);
await store.close();
rmSync(home, { recursive: true, force: true });
