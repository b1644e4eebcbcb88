/**
 * Capture-file throughput (not a test): node --import tsx test/capture/files/bench-files.ts [seconds] [readers] [maxFileBytes]
 * Appends records for 100 keys as fast as one core allows, with the store's own 1 s flush timer
 * (write + fdatasync per file) and rotation, then closes (everything durable) and decodes it all.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileCaptureStore } from '../../../src/capture/file-store.js';
import { decodeCaptureFile } from '../../../src/capture/file-format.js';
import { walkCaptureDir } from '../../../src/capture/files.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { CaptureMeta, CaptureRecord } from '../../../src/shared/record.js';

const seconds = Number(process.argv[2] ?? 5);
const readers = Number(process.argv[3] ?? 1);
const maxBytes = Number(process.argv[4] ?? 256 * 1024);
const KEYS = 100;

const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-bench-'));
const store = new FileCaptureStore({
  dir,
  clock: realClock,
  logger: nullLogger,
  settings: {
    flush_interval_ms: 1000,
    maximum_capture_file_size_bytes: maxBytes,
    maximum_capture_file_age_ms: 60_000,
  },
});
const metas: CaptureMeta[] = Array.from({ length: KEYS }, (_, i) => ({
  part_id: 'p',
  machine: 'm',
  component_type: 'board',
  component_name: `esp-${i}`,
  method_name: 'Analogs',
  additional_parameters: {},
  tags: [],
}));
const data: Record<
  string,
  { value: number; min_range: number; max_range: number; step_size: number }
> = {};
for (let r = 0; r < readers; r++)
  data[`A${r}`] = { value: 0, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 };
const rec = { kind: 'reading', time_requested: 0, time_received: 0, data } as CaptureRecord & {
  time_requested: number;
  time_received: number;
};

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let n = 0;
let peakRss = 0;
while (performance.now() - t0 < seconds * 1000) {
  for (let i = 0; i < 2000; i++) {
    const now = Date.now();
    rec.time_requested = now;
    rec.time_received = now + 0.5;
    (data.A0 as { value: number }).value = n & 4095;
    store.append(`k${n % KEYS}`, metas[n % KEYS]!, rec);
    n++;
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  await new Promise((r) => setImmediate(r));
}
await store.close();
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuS = (cpu.user + cpu.system) / 1e6;
const st = store.stats();
const files = await walkCaptureDir(dir, ['.capture']);
console.log(
  `write: ${n} records (${readers} reader(s) each) in ${wall.toFixed(2)} s wall = ${Math.round(n / wall)} records/s, ` +
    `${Math.round((n * readers) / wall)} reader-values/s; CPU ${cpuS.toFixed(2)} s = ${((cpuS / n) * 1e6).toFixed(2)} CPU-s per million records; ` +
    `durable ${st.durable}; ${files.length} files, ${(st.bytesWritten / n).toFixed(1)} bytes/record; flushes ${st.flushes}; peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB`,
);
const d0 = performance.now();
let decoded = 0;
for (const f of files) decoded += decodeCaptureFile(await readFile(f.path)).records.length;
const ds = (performance.now() - d0) / 1000;
console.log(
  `decode: ${decoded} records in ${ds.toFixed(2)} s = ${Math.round(decoded / ds)} records/s (read + CRC + CBOR)`,
);
if (decoded !== n || st.durable !== n) console.log('MISMATCH: records lost');
await rm(dir, { recursive: true, force: true });
