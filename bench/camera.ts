/**
 * Camera capture and image sync, end to end on this machine:
 *  1. the gateway captures ReadImage (640×480 JPEG) from an ffmpeg test source (lavfi testsrc at
 *     30 frames/s) for SECONDS at each rate; reports images captured durably per second, gaps, and
 *     CPU per frame of the gateway process and of its ffmpeg process (/proc);
 *  2. the capture dir is synced to `wharf cloud serve` (SQLite, child process): MB/s.
 *
 *   node --import tsx bench/camera.ts [--seconds 10] [--rates 5,15,30]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Gateway } from '../src/app/gateway.js';
import { decodeCaptureFile } from '../src/capture/file-format.js';
import { listFinishedFiles } from '../src/capture/files.js';
import { parseConfig } from '../src/config/index.js';
import { nullLogger } from '../src/shared/logger.js';
import { HttpSyncTarget } from '../src/sync/http-target.js';
import { SyncWorker } from '../src/sync/worker.js';
import { startCloudChild } from './cloud-child.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string' }, rates: { type: 'string' } },
});
const SECONDS = Number(values.seconds ?? 10);
const RATES = (values.rates ?? '5,15,30').split(',').map(Number);

const ticks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

console.log(`wharf camera bench: 640x480 JPEG from lavfi testsrc (30 fps), ${SECONDS} s per rate`);
const root = mkdtempSync(path.join(tmpdir(), 'wharf-bench-cam-'));
try {
  let lastDir = '';
  for (const hz of RATES) {
    const dir = path.join(root, `hz${hz}`);
    lastDir = dir;
    const cfg = {
      services: [{ name: 'data_manager', type: 'data_manager', attributes: { capture_dir: dir } }],
      components: [
        {
          name: 'cam',
          type: 'camera',
          model: 'ffmpeg',
          attributes: { video_path: 'lavfi:testsrc=size=640x480:rate=30', frame_rate: 30 },
          service_configs: [
            {
              type: 'data_manager',
              attributes: { capture_methods: [{ method: 'ReadImage', capture_frequency_hz: hz }] },
            },
          ],
        },
      ],
      wharf: { machine: 'bench-gateway', http: null },
    };
    const r = parseConfig(JSON.stringify(cfg), { sourcePath: '/bench/machine.json' });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const gw = await Gateway.start({ plan: r.plan, logger: nullLogger });
    await new Promise((res) => setTimeout(res, 1500)); // ffmpeg up
    const pid = gw.cameras!.status()[0]!.pid!;
    const cpu0 = process.cpuUsage();
    const ff0 = ticks(pid);
    const t0 = Date.now();
    await new Promise((res) => setTimeout(res, SECONDS * 1000));
    const elapsed = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const ff = ticks(pid) - ff0;
    await gw.stop();
    let images = 0;
    let gaps = 0;
    let bytes = 0;
    for (const f of await listFinishedFiles(dir)) {
      const d = decodeCaptureFile(await fsp.readFile(f.path));
      for (const rec of d.records) {
        if (
          rec.kind === 'reading' &&
          rec.binary &&
          rec.time_requested >= t0 &&
          rec.time_requested < t0 + elapsed * 1000
        ) {
          images++;
          bytes += rec.binary.length;
        } else if (rec.kind === 'gap' && rec.start >= t0 && rec.start < t0 + elapsed * 1000)
          gaps += rec.count;
      }
    }
    const gwCpuMs = (cpu.user + cpu.system) / 1000;
    console.log(
      `  ${String(hz).padStart(3)} Hz: ${(images / elapsed).toFixed(1)} images/s durable (${images} in ${elapsed.toFixed(1)} s, ${gaps} missed as gaps), ` +
        `${(bytes / Math.max(images, 1) / 1024).toFixed(1)} KiB/image; gateway CPU ${(gwCpuMs / Math.max(images, 1)).toFixed(2)} ms/image, ` +
        `ffmpeg CPU ${((ff * 1000) / (30 * elapsed)).toFixed(2)} ms/decoded+encoded frame (${((ff / elapsed) * 100).toFixed(0)}% of a core)`,
    );
  }
  // sync the last run's files to a real cloud (SQLite, child process)
  const files = await listFinishedFiles(lastDir);
  const total = (await Promise.all(files.map((f) => fsp.stat(f.path)))).reduce(
    (a, s) => a + s.size,
    0,
  );
  const cloud = await startCloudChild({ db: path.join(root, 'cloud.db') });
  try {
    const w = new SyncWorker({
      captureDir: lastDir,
      target: new HttpSyncTarget({ url: cloud.url, apiKey: cloud.key }),
      intervalMs: 3_600_000,
    });
    const t = Date.now();
    const r = await w.syncNow();
    const s = (Date.now() - t) / 1000;
    await w.stop();
    if (r.error !== null) throw new Error(String(r.error));
    console.log(
      `  sync: ${files.length} files, ${(total / 1e6).toFixed(1)} MB of images in ${s.toFixed(2)} s = ${(total / 1e6 / s).toFixed(1)} MB/s into the SQLite cloud (blobs fsynced)`,
    );
  } finally {
    await cloud.stop();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
