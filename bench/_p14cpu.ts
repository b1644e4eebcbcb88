import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';
import { decodeCaptureFile } from '../src/capture/file-format.js';
import { PostgresStore } from '../src/cloud/store/postgres.js';
import { benchFiles } from '../bench/sync-fixtures.js';

function pgCpu(): number {
  let t = 0;
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.indexOf(')'));
      if (!name.startsWith('postgres')) continue;
      const f = st.slice(st.indexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return t / 100;
}
const N = Number(process.argv[2] ?? 200);
const W = Number(process.argv[3] ?? 8);
const PER = Number(process.argv[4] ?? 500);
const files = benchFiles(N, PER);
const admin = new pg.Client({ host: '/var/run/postgresql', user: 'root', database: 'postgres' });
await admin.connect();
const name = `wharf_cpu_${process.pid}`;
await admin.query(`CREATE DATABASE ${name}`);
const store = await PostgresStore.open({ host: '/var/run/postgresql', user: 'root', database: name });
const dec = files.map((f) => ({ f, d: decodeCaptureFile(f.bytes) }));
const c0 = process.cpuUsage(); const p0 = pgCpu(); const t0 = performance.now();
let next = 0;
await Promise.all(Array.from({ length: W }, async () => {
  while (next < dec.length) {
    const { f, d } = dec[next++]!;
    await store.ingest({ file_id: d.header.file_id, sha256: createHash('sha256').update(f.bytes).digest('hex'), bytes: f.bytes.length, meta: d.header.meta, records: d.records });
  }
}));
const s = (performance.now() - t0) / 1000; const c1 = process.cpuUsage(c0); const p1 = pgCpu();
const n = N * PER;
console.log(`${n} records in ${s.toFixed(2)} s = ${(n / s).toFixed(0)}/s; node CPU ${((c1.user + c1.system) / 1e6 / n * 1e6).toFixed(2)} µs/rec; postgres CPU ${((p1 - p0) / n * 1e6).toFixed(2)} µs/rec`);
await store.close();
await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
await admin.end();
