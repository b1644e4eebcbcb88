/**
 * CPU per record of the cloud's SQLite ingest path without HTTP or the gateway (steadier than
 * wall-clock figures on a shared machine): `checkUpload` (sha256, decode, validate) + `store.ingest`
 * (durable group commit), `window` files in flight like concurrent uploads. Prints CPU µs per
 * record for the check and the whole, and readings/s by wall clock.
 *
 *   node --import tsx bench/ingest-cpu.ts [--files 200] [--records 2500] [--window 4] [--rounds 3]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkUpload, defaultCodec } from '../src/cloud/ingest-check.js';
import { SqliteStore } from '../src/cloud/store/sqlite.js';
import { benchFiles } from './sync-fixtures.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string' },
    records: { type: 'string' },
    window: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const FILES = Number(values.files ?? 200);
const PER_FILE = Number(values.records ?? 2500);
const WINDOW = Number(values.window ?? 4);
const ROUNDS = Number(values.rounds ?? 3);

const files = benchFiles(FILES, PER_FILE).map((f) => ({
  ...f,
  body: Buffer.from(f.bytes),
  sha256: createHash('sha256').update(f.bytes).digest('hex'),
}));
const codec = await defaultCodec();
const key = {
  id: 'bench',
  machine: 'bench-gateway',
  label: '',
  created_ms: 0,
  revoked_ms: null,
};
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

for (let round = 0; round < ROUNDS; round++) {
  const home = mkdtempSync(path.join(tmpdir(), 'wharf-bench-ingest-cpu-'));
  const store = new SqliteStore(path.join(home, 'cloud.db'));
  let checkCpu = 0;
  let next = 0;
  const c0 = cpu();
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++]!;
      const c = cpu();
      const file = checkUpload(f.body, { fileId: f.fileId, sha256: f.sha256 }, key, codec);
      checkCpu += cpu() - c;
      const r = await store.ingest(file);
      if (r.status !== 'stored') throw new Error(`file ${f.fileId}: ${r.status}`);
    }
  };
  await Promise.all(Array.from({ length: WINDOW }, lane));
  const wall = (performance.now() - t0) / 1000;
  const total = cpu() - c0;
  const n = FILES * PER_FILE;
  const t = await store.totals();
  if (t.records !== n) throw new Error(`stored ${t.records} of ${n} records`);
  await store.close();
  rmSync(home, { recursive: true, force: true });
  console.log(
    `round ${round + 1}: ${n} records in ${wall.toFixed(2)} s = ${Math.round((2 * n) / wall)} readings/s; CPU ${((total / n) * 1e6).toFixed(2)} µs/record (check ${((checkCpu / n) * 1e6).toFixed(2)}, store ${(((total - checkCpu) / n) * 1e6).toFixed(2)})`,
  );
}
