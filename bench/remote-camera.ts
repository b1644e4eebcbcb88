/**
 * A remote camera through another wharf gateway (`"address": "wharf://…"`, docs/cameras.md): a
 * serving gateway with an ffmpeg test source (640×480 JPEG) and a capturing gateway in this one
 * process, on loopback; for each rate, images captured durably per second, gap ticks by reason,
 * bytes/s over the link and the Node CPU per image (both gateways; ffmpeg not included).
 *
 *   node --import tsx bench/remote-camera.ts [--seconds 20] [--rates 2,10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Gateway } from '../src/app/gateway.js';
import {
  decodeCaptureFile,
  FINISHED_SUFFIX,
  IN_PROGRESS_SUFFIX,
} from '../src/capture/file-format.js';
import { walkCaptureDir } from '../src/capture/files.js';
import { parseConfig, type CapturePlan } from '../src/config/index.js';
import { nullLogger } from '../src/shared/logger.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string' }, rates: { type: 'string' } },
});
const SECONDS = Number(values.seconds ?? 20);
const RATES = (values.rates ?? '2,10').split(',').map(Number);
const SECRET = 'bench-camera-secret-0123';

const plan = (cfg: unknown): CapturePlan => {
  const r = parseConfig(JSON.stringify(cfg), { sourcePath: '/bench/machine.json' });
  if (!r.ok || r.plan === undefined) throw new Error(r.issues.map((i) => i.message).join('\n'));
  return r.plan;
};

async function census(dir: string) {
  const out = { images: 0, bytes: 0, gaps: new Map<string, number>() };
  for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX, IN_PROGRESS_SUFFIX])) {
    const buf = await fsp.readFile(f.path).catch(() => undefined);
    if (buf === undefined) continue;
    for (const r of decodeCaptureFile(buf).records) {
      if (r.kind === 'reading' && r.binary) {
        out.images++;
        out.bytes += r.binary.length;
      } else if (r.kind === 'gap') {
        const k = `${r.reason}: ${(r.detail ?? '').slice(0, 70)}`;
        out.gaps.set(k, (out.gaps.get(k) ?? 0) + r.count);
      }
    }
  }
  return out;
}

console.log(
  `wharf remote camera bench: 640x480 JPEG through wharf:// on loopback, ${SECONDS} s per rate`,
);
const root = mkdtempSync(path.join(tmpdir(), 'wharf-bench-rcam-'));
try {
  const far = await Gateway.start({
    logger: nullLogger,
    plan: plan({
      services: [
        {
          name: 'data_manager',
          type: 'data_manager',
          attributes: { capture_dir: path.join(root, 'far') },
        },
      ],
      components: [
        {
          name: 'cam',
          type: 'camera',
          model: 'ffmpeg',
          attributes: { video_path: 'lavfi:testsrc=size=640x480:rate=30' },
        },
      ],
      wharf: {
        machine: 'far',
        http: { host: '127.0.0.1', port: 0 },
        serve_cameras: { secret: SECRET },
      },
    }),
  });
  try {
    for (const hz of RATES) {
      const dir = path.join(root, `near-${hz}`);
      const near = await Gateway.start({
        logger: nullLogger,
        http: null,
        plan: plan({
          services: [
            { name: 'data_manager', type: 'data_manager', attributes: { capture_dir: dir } },
          ],
          remotes: [
            {
              name: 'pi',
              address: far.httpUrl!.replace(/^http:/, 'wharf:'),
              secret: SECRET,
              service_configs: [
                {
                  type: 'data_manager',
                  attributes: {
                    capture_methods: [
                      {
                        name: 'rdk:component:camera/cam',
                        method: 'ReadImage',
                        capture_frequency_hz: hz,
                      },
                    ],
                  },
                },
              ],
            },
          ],
          wharf: { machine: 'near' },
        }),
      });
      try {
        await new Promise((r) => setTimeout(r, 3000)); // past the camera's start
        const a = await census(dir);
        const cpu0 = process.cpuUsage();
        const t0 = Date.now();
        await new Promise((r) => setTimeout(r, SECONDS * 1000));
        const b = await census(dir);
        const cpu = process.cpuUsage(cpu0);
        const s = (Date.now() - t0) / 1000;
        const n = b.images - a.images;
        const gaps = [...b.gaps]
          .map(([k, v]) => [k, v - (a.gaps.get(k) ?? 0)] as const)
          .filter(([, v]) => v > 0);
        console.log(
          `${hz} Hz: ${(n / s).toFixed(2)} images/s captured, ${((b.bytes - a.bytes) / s / 1024).toFixed(1)} KiB/s over the link, ` +
            `${((cpu.user + cpu.system) / 1000 / Math.max(1, n)).toFixed(1)} ms Node CPU per image; gap ticks: ${gaps.length === 0 ? 'none' : gaps.map(([k, v]) => `${v} × ${k}`).join('; ')}`,
        );
      } finally {
        await near.stop();
      }
    }
  } finally {
    await far.stop();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
