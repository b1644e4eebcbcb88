/**
 * `node --import tsx bench/capture-dir-switch.ts [--switches 10] [--hz 100]` — a live capture_dir
 * change, timed (a benchmark, not a test). One sim board, one Analogs entry at `--hz`, flushed every
 * 100 ms; `--switches` times the gateway is moved to a new capture dir. Prints how long applyPlan
 * takes (the switch itself) and how long until the new dir holds a capture file, and checks that no
 * record was refused (appended = durable, dropped 0). No sync target: every old dir stays listed.
 */
import { mkdtempSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Gateway } from '../src/app/gateway.js';
import { walkCaptureDir } from '../src/capture/files.js';
import type { CapturePlan } from '../src/config/plan.js';
import { DATA_MANAGER_DEFAULTS } from '../src/config/settings.js';
import { nullLogger } from '../src/shared/logger.js';

const { values } = parseArgs({
  options: { switches: { type: 'string', default: '10' }, hz: { type: 'string', default: '100' } },
});
const switches = Math.max(1, Math.min(100, Number(values.switches)));
const hz = Number(values.hz);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-capdir-'));

const planIn = (dir: string): CapturePlan => ({
  gateway: { broker: { mode: 'embedded', host: '127.0.0.1', port: 0 }, sync: null, http: null },
  machine: 'bench',
  part_id: 'bench',
  dataManager: { ...DATA_MANAGER_DEFAULTS, capture_dir: dir, flush_interval_ms: 100, tags: [] },
  boards: [
    {
      id: 'b1',
      address: 'sim://b1',
      transport: 'sim',
      components: [
        {
          name: 'esp',
          type: 'board',
          hardware: { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
        },
      ],
    },
  ],
  entries: [
    {
      key: 'b1/board/esp/Analogs/A1',
      boardId: 'b1',
      component_type: 'board',
      component_name: 'esp',
      resource: 'rdk:component:board/esp',
      method: 'Analogs',
      readers: ['A1'],
      hz,
      additional_params: {},
      tags: [],
      supported: true,
    },
  ],
  warnings: [],
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gw = await Gateway.start({ plan: planIn(path.join(tmp, 'd0')), logger: nullLogger });
await sleep(1000);
const applyMs: number[] = [];
const firstMs: number[] = [];
for (let i = 1; i <= switches; i++) {
  const d = path.join(tmp, `d${i}`);
  const t0 = performance.now();
  await gw.applyPlan(planIn(d));
  applyMs.push(performance.now() - t0);
  for (let n = 0; n < 2000; n++) {
    if ((await walkCaptureDir(d, ['.prog', '.capture'])).length > 0) break;
    await sleep(5);
  }
  firstMs.push(performance.now() - t0);
  await sleep(300);
}
await gw.stop();
const s = gw.store.stats();
await fsp.rm(tmp, { recursive: true, force: true });
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!.toFixed(1);
const max = (a: number[]) => Math.max(...a).toFixed(1);
console.log(
  `${switches} capture_dir switches at ${hz} Hz: applyPlan median ${med(applyMs)} ms (max ${max(applyMs)}); ` +
    `first file in the new dir after median ${med(firstMs)} ms (max ${max(firstMs)}; flush interval 100 ms); ` +
    `records appended ${s.appended}, durable ${s.durable}, dropped ${s.dropped}`,
);
