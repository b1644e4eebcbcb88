/**
 * The gateway's own health as a sensor `Readings`: the config loads, CPU temperature comes from
 * the hottest CPU-like thermal zone (real sysfs-shaped files) and is left out where there is none,
 * the gateway captures the values on the tick grid, and they reach the cloud (SQLite and
 * PostgreSQL) as readings the charts draw.
 */
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/app/gateway.js';
import { decodeCaptureFile, FINISHED_SUFFIX } from '../../../src/capture/file-format.js';
import { walkCaptureDir } from '../../../src/capture/files.js';
import { cpuTemperature } from '../../../src/capture/sensors/gateway-health.js';
import { explainPlan } from '../../../src/config/index.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { CaptureRecord, ReadingRecord } from '../../../src/shared/record.js';
import { HttpSyncTarget } from '../../../src/sync/http-target.js';
import { SyncWorker } from '../../../src/sync/worker.js';
import { startCloud } from '../../cloud/cloud-helper.js';
import { pgUser } from '../../cloud/pg-helper.js';
import { load, planOf } from '../../config/helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-health-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const user = await pgUser();

const config = (dir: string, hz = 5, model = 'gateway') => ({
  services: [
    {
      name: 'data_manager',
      type: 'data_manager',
      attributes: { capture_dir: dir, flush_interval_ms: 100, maximum_capture_file_age_ms: 300 },
    },
  ],
  components: [
    {
      name: 'health',
      type: 'sensor',
      model,
      service_configs: [
        {
          type: 'data_manager',
          attributes: { capture_methods: [{ method: 'Readings', capture_frequency_hz: hz }] },
        },
      ],
    },
  ],
  wharf: { machine: 'gw-1', http: null },
});

async function readings(dir: string): Promise<ReadingRecord[]> {
  const out: ReadingRecord[] = [];
  for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX])) {
    const d = decodeCaptureFile(await fsp.readFile(f.path));
    for (const r of d.records) if (r.kind === 'reading') out.push(r);
  }
  return out.sort((a, b) => a.time_requested - b.time_requested);
}

describe('gateway health sensor', () => {
  it('loads: a sensor of model gateway captures Readings; another model is listed, not captured', () => {
    const plan = planOf(load(config('/tmp/x', 0.2)));
    expect(plan.sensors).toEqual([{ id: 'health', model: 'gateway' }]);
    expect(plan.entries[0]).toMatchObject({ method: 'Readings', supported: true, hz: 0.2 });
    expect(explainPlan(plan)).toMatch(/health\s+sensor\s+rdk:component:sensor\/health\s+Readings/);
    const other = load(config('/tmp/x', 1, 'bme280'));
    expect(planOf(other).entries[0]?.supported).toBe(false);
    expect(other.issues.map((i) => i.message).join('\n')).toMatch(
      /sensor "health" has model "bme280", which wharf cannot read/,
    );
  });

  it('CPU temperature: the hottest CPU-like thermal zone; none when the machine exposes none', async () => {
    const sys = path.join(tmp, 'thermal');
    const zone = (n: number, type: string, milli: string) => {
      mkdirSync(path.join(sys, `thermal_zone${n}`), { recursive: true });
      writeFileSync(path.join(sys, `thermal_zone${n}`, 'type'), `${type}\n`);
      writeFileSync(path.join(sys, `thermal_zone${n}`, 'temp'), `${milli}\n`);
    };
    zone(0, 'acpitz', '45000');
    zone(1, 'x86_pkg_temp', '61500');
    zone(2, 'iwlwifi_1', '70000');
    expect(await cpuTemperature(sys)).toBe(61.5);
    expect(await cpuTemperature(path.join(tmp, 'no-such-dir'))).toBeUndefined();
  });

  it('a restart is one capture_stopped gap covering the downtime; the tick grid continues after it', async () => {
    const dir = path.join(tmp, 'restart');
    const plan = planOf(load(config(dir, 5)));
    const all = async (): Promise<CaptureRecord[]> => {
      const out: CaptureRecord[] = [];
      for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX]))
        out.push(...decodeCaptureFile(await fsp.readFile(f.path)).records);
      return out.sort(
        (a, b) =>
          (a.kind === 'gap' ? a.start : a.time_requested) -
          (b.kind === 'gap' ? b.start : b.time_requested),
      );
    };
    const runUntil = async (n: number) => {
      const gw = await Gateway.start({ plan, logger: nullLogger });
      const end = Date.now() + 15_000;
      try {
        while ((await readings(dir)).length < n) {
          if (Date.now() > end) throw new Error('no readings');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await gw.stop();
      }
    };
    await runUntil(3);
    const before = await readings(dir);
    const lastBefore = before.at(-1)!.time_requested;
    await new Promise((r) => setTimeout(r, 700)); // deliberate: the gateway is down for 700 ms
    await runUntil(before.length + 3);
    const recs = await all();
    const gaps = recs.filter((r) => r.kind === 'gap' && r.reason === 'capture_stopped');
    expect(gaps).toHaveLength(1);
    const g = gaps[0]! as Extract<CaptureRecord, { kind: 'gap' }>;
    expect(g.start).toBeCloseTo(lastBefore + 200, 3);
    expect(g.count).toBe(Math.round((g.end - g.start) / 200) + 1);
    expect(g.count).toBeGreaterThanOrEqual(3); // ≥ 700 ms down
    const after = recs.filter(
      (r) => r.kind === 'reading' && r.time_requested > g.end,
    ) as ReadingRecord[];
    expect(after[0]!.time_requested).toBeCloseTo(g.end + 200, 3);
  });

  for (const [name, kind] of [
    ['SQLite', 'sqlite'],
    ['PostgreSQL', user === null ? null : { pgUser: user }],
  ] as const) {
    it.skipIf(kind === null)(
      `captures load, disk, memory (and CPU temperature where there is one) on the tick grid; charted in the cloud (${name})`,
      async () => {
        const dir = path.join(tmp, `gw-${name}`);
        const plan = planOf(load(config(dir, 5)));
        const gw = await Gateway.start({ plan, logger: nullLogger });
        const end = Date.now() + 15_000;
        let recs: ReadingRecord[] = [];
        try {
          while ((recs = await readings(dir)).length < 5) {
            if (Date.now() > end) throw new Error('no health readings');
            await new Promise((r) => setTimeout(r, 50));
          }
        } finally {
          await gw.stop();
        }
        recs = await readings(dir);
        const temp = await cpuTemperature();
        const fs = statfsSync(dir);
        for (const r of recs) {
          const d = r.data as Record<string, { value: number }>;
          expect(Object.keys(d).sort()).toEqual(
            [
              ...(temp === undefined ? [] : ['cpu_temp_c']),
              'disk_free_bytes',
              'disk_free_ratio',
              'load_15m',
              'load_1m',
              'load_5m',
              'mem_available_bytes',
              'mem_total_bytes',
            ].sort(),
          );
          expect(d.mem_total_bytes!.value).toBe(os.totalmem());
          expect(d.mem_available_bytes!.value).toBeGreaterThan(0);
          expect(d.mem_available_bytes!.value).toBeLessThanOrEqual(os.totalmem());
          // the filesystem is shared with other writers: within 10% of statfs now
          const free = fs.bavail * fs.bsize;
          expect(Math.abs(d.disk_free_bytes!.value - free)).toBeLessThan(free * 0.1 + 1);
          expect(d.disk_free_ratio!.value).toBeGreaterThan(0);
          expect(d.disk_free_ratio!.value).toBeLessThanOrEqual(1);
          expect(d.load_1m!.value).toBeGreaterThanOrEqual(0);
        }
        for (let i = 1; i < recs.length; i++)
          expect((recs[i]!.time_requested - recs[0]!.time_requested) % 200).toBeCloseTo(0, 3);

        const cloud = await startCloud(kind!);
        try {
          const key = (await cloud.store.createKey('gw-1')).key;
          const w = new SyncWorker({
            captureDir: dir,
            target: new HttpSyncTarget({ url: cloud.url, apiKey: key }),
            intervalMs: 60_000,
          });
          expect((await w.syncNow()).error).toBeNull();
          await w.stop();
          const reader = (await cloud.store.createKey(null, 'reader')).key;
          const res = await fetch(`${cloud.url}/api/v1/series?component_name=health`, {
            headers: { authorization: `Bearer ${reader}` },
          });
          const s = (await res.json()) as { series: { key: string; v: (number | null)[] }[] };
          const keys = s.series.map((l) => l.key);
          expect(keys).toEqual(
            expect.arrayContaining(['load_1m', 'disk_free_bytes', 'mem_total_bytes']),
          );
          const mem = s.series.find((l) => l.key === 'mem_total_bytes')!;
          expect(mem.v.filter((v) => v !== null).every((v) => v === os.totalmem())).toBe(true);
        } finally {
          await cloud.close();
        }
      },
      60_000,
    );
  }
});
