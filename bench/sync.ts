/**
 * Sync throughput over loopback: the gateway's sync worker shipping a backlog to `wharf cloud
 * serve` (SQLite, durable ingest) versus a plain HTTP upload of the same bytes with the same
 * concurrency to a bare node:http server (discarding them, and writing + fsyncing them).
 *
 *   npm run bench:sync      (or: node --import tsx bench/sync.ts [--files 200] [--records 2500] [--concurrency 4] [--sync-only])
 */
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { listFinishedFiles } from '../src/capture/files.js';
import { HttpSyncTarget } from '../src/sync/http-target.js';
import { SyncWorker } from '../src/sync/worker.js';
import { startCloudChild } from './cloud-child.js';
import { benchFiles, writeBacklog } from './sync-fixtures.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string' },
    records: { type: 'string' },
    concurrency: { type: 'string' },
    'sync-only': { type: 'boolean' },
  },
});
const FILES = Number(values.files ?? 200);
const PER_FILE = Number(values.records ?? 2500);
const CONC = Number(values.concurrency ?? 4);
const PLAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'plain-upload-server.mjs');

const files = benchFiles(FILES, PER_FILE);
const bytes = files.reduce((a, f) => a + f.bytes.length, 0);
const mb = bytes / 1e6;
console.log(
  `wharf sync bench: ${FILES} capture files of ${(bytes / FILES / 1024).toFixed(0)} KiB (${PER_FILE} readings each), ${mb.toFixed(1)} MB, ${CONC} uploads in flight, loopback`,
);

/** Plain uploads to the bare server; with `viaSync`, the sync worker does the uploading instead. */
async function plain(durable: boolean, viaSync = false): Promise<number> {
  const child = spawn(process.execPath, [PLAIN, ...(durable ? ['--durable'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) =>
    child.stdout.on('data', (d: Buffer) => resolve(/listening (\S+)/.exec(d.toString())![1]!)),
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'wharf-bench-plain-'));
  writeBacklog(dir, files);
  const list = await listFinishedFiles(dir);
  const t = performance.now();
  if (viaSync) {
    const w = new SyncWorker({
      captureDir: dir,
      target: new HttpSyncTarget({ url: `${url}/`, apiKey: 'unused' }),
      intervalMs: 60_000,
      persistStatus: false,
      concurrency: CONC,
    });
    const r = await w.syncNow();
    if (r.uploaded !== FILES)
      throw new Error(`sync to the plain server incomplete: ${r.error?.message}`);
    await w.stop();
  } else {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < list.length) {
        const body = readFileSync(list[next++]!.path);
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/octet-stream' },
        });
        await res.text();
      }
    };
    await Promise.all(Array.from({ length: CONC }, lane));
  }
  const s = (performance.now() - t) / 1000;
  await new Promise<void>((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
  rmSync(dir, { recursive: true, force: true });
  return s;
}

let cloudCpu = Number.NaN;
async function sync(): Promise<number> {
  const home = mkdtempSync(path.join(tmpdir(), 'wharf-bench-sync-'));
  const cloud = await startCloudChild({ db: path.join(home, 'cloud.db') });
  const dir = path.join(home, 'capture');
  writeBacklog(dir, files);
  const worker = new SyncWorker({
    captureDir: dir,
    target: new HttpSyncTarget({ url: cloud.url, apiKey: cloud.key }),
    intervalMs: 60_000,
    persistStatus: false,
    concurrency: CONC,
  });
  const cpu0 = cloud.cpuSeconds();
  const t = performance.now();
  const r = await worker.syncNow();
  const s = (performance.now() - t) / 1000;
  cloudCpu = cloud.cpuSeconds() - cpu0;
  await worker.stop();
  await cloud.stop();
  rmSync(home, { recursive: true, force: true });
  if (r.error !== null || r.uploaded !== FILES)
    throw new Error(`sync incomplete: ${r.uploaded}/${FILES} ${r.error?.message ?? ''}`);
  return s;
}

const SYNC_ONLY = values['sync-only'] === true; // e.g. to profile the cloud
const p = SYNC_ONLY ? Number.NaN : await plain(false);
const pd = SYNC_ONLY ? Number.NaN : await plain(true);
const ps = SYNC_ONLY ? Number.NaN : await plain(false, true);
const s = await sync();
const row = (what: string, sec: number): void =>
  console.log(
    `${what.padEnd(58)} ${(mb / sec).toFixed(1).padStart(7)} MB/s  (${sec.toFixed(2)} s)`,
  );
row('plain HTTP upload (bare node:http, body discarded)', p);
row('plain HTTP upload (bare node:http, body written + fsync)', pd);
row('wharf sync worker → bare server (verify, sha256, upload, delete)', ps);
row('wharf sync → cloud (checksum, decode, SQLite ingest, ack, delete)', s);
console.log(
  `cloud CPU during the sync: ${cloudCpu.toFixed(2)} s of ${s.toFixed(2)} s (${((cloudCpu / s) * 100).toFixed(0)}% of one core; ${((cloudCpu / (FILES * PER_FILE)) * 1e6).toFixed(1)} µs per record)`,
);
console.log(`sync protocol (gateway side) / plain upload: ${((p / ps) * 100).toFixed(0)}%`);
console.log(
  `sync to the cloud / plain upload: ${((p / s) * 100).toFixed(0)}%   / plain durable upload: ${((pd / s) * 100).toFixed(0)}%`,
);
