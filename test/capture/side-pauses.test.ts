/**
 * Cameras and gateway sensors account a live config change as board entries do
 * (test/capture/engine/gap-reasons.test.ts): a capture method disabled or removed and enabled
 * again is one `method_disabled` gap, `capture_disabled` for a while is one `capture_disabled`
 * gap, each covering exactly the ticks not captured; and the pause survives a restart (the
 * checkpoint keeps it), so enabling the method after a restart still writes its gap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/app/gateway.js';
import type { CapturePlan } from '../../src/config/index.js';
import { nullLogger } from '../../src/shared/logger.js';
import type { CaptureRecord, GapRecord } from '../../src/shared/record.js';
import { requireTool } from '../helpers/system-tool.js';
import { liveRecords } from '../helpers/captured.js';
import { waitFor } from '../helpers/wait.js';
import { load, planOf } from '../config/helpers.js';

const hasFfmpeg = requireTool('ffmpeg', 'the camera is a real ffmpeg test source');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-sidepause-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const HZ = 5;
const PERIOD = 1000 / HZ;

function config(
  dir: string,
  o: { camera?: boolean; sensor?: boolean; captureDisabled?: boolean },
): CapturePlan {
  const method = (m: string, on: boolean) => ({
    type: 'data_manager',
    attributes: {
      capture_methods: on
        ? [{ method: m, capture_frequency_hz: HZ }]
        : // the camera's method disabled in place, the sensor's removed from the config
          m === 'ReadImage'
          ? [{ method: m, capture_frequency_hz: HZ, disabled: true }]
          : [],
    },
  });
  return planOf(
    load({
      services: [
        {
          name: 'data_manager',
          type: 'data_manager',
          attributes: {
            capture_dir: dir,
            flush_interval_ms: 100,
            maximum_capture_file_age_ms: 300,
            ...(o.captureDisabled ? { capture_disabled: true } : {}),
          },
        },
      ],
      components: [
        {
          name: 'cam',
          type: 'camera',
          model: 'ffmpeg',
          attributes: { video_path: 'lavfi:testsrc=size=160x120:rate=20' },
          service_configs: [method('ReadImage', o.camera !== false)],
        },
        {
          name: 'health',
          type: 'sensor',
          model: 'gateway',
          service_configs: [method('Readings', o.sensor !== false)],
        },
      ],
      wharf: { machine: 'gw', http: null },
    }),
  );
}

const records = liveRecords;
const startOf = (r: CaptureRecord) => (r.kind === 'gap' ? r.start : r.time_requested);
const endOf = (r: CaptureRecord) => (r.kind === 'gap' ? r.end : r.time_requested);

/** The records of one component, in time order. */
async function of(dir: string, component: string): Promise<CaptureRecord[]> {
  return (await records(dir))
    .filter((r) => r.meta.component_name === component)
    .map((r) => r.rec)
    .sort((a, b) => startOf(a) - startOf(b));
}

/** Every tick from the first record to the last is accounted: no hole between records. */
function expectNoHole(rs: CaptureRecord[]): void {
  for (let i = 1; i < rs.length; i++) {
    const hole = startOf(rs[i]!) - endOf(rs[i - 1]!);
    expect(hole, `hole after ${JSON.stringify(rs[i - 1])}`).toBeLessThan(1.5 * PERIOD);
  }
}

const readingsOf = async (dir: string, c: string) =>
  (await of(dir, c)).filter((r) => r.kind === 'reading').length;

/** Wait until both the camera and the sensor wrote `n` more readings than now. */
async function moreReadings(dir: string, n: number): Promise<void> {
  const cam = await readingsOf(dir, 'cam');
  const health = await readingsOf(dir, 'health');
  await waitFor(
    async () =>
      (await readingsOf(dir, 'cam')) >= cam + n && (await readingsOf(dir, 'health')) >= health + n,
    30_000,
    `${n} more images and sensor readings`,
  );
}

/** Let time pass on the real clock while the entries are off (the span the gaps must cover). */
const pass = (ms: number) => {
  const until = Date.now() + ms;
  return waitFor(() => Date.now() >= until, ms + 5000, `${ms} ms to pass`);
};

describe.skipIf(!hasFfmpeg)('camera and sensor pauses in a live config change', () => {
  it('a disabled/removed method is one method_disabled gap, capture_disabled one capture_disabled gap, each covering exactly the ticks not captured', async () => {
    const dir = path.join(tmp, 'live');
    const gw = await Gateway.start({ plan: config(dir, {}), logger: nullLogger });
    try {
      await moreReadings(dir, 3);
      await gw.applyPlan(config(dir, { camera: false, sensor: false }));
      await pass(1000);
      await gw.applyPlan(config(dir, {}));
      await moreReadings(dir, 3);
      await gw.applyPlan(config(dir, { captureDisabled: true }));
      await pass(1000);
      await gw.applyPlan(config(dir, {}));
      await moreReadings(dir, 3);
    } finally {
      await gw.stop();
    }
    for (const c of ['cam', 'health']) {
      const rs = await of(dir, c);
      const paused = rs.filter(
        (r): r is GapRecord =>
          r.kind === 'gap' && (r.reason === 'method_disabled' || r.reason === 'capture_disabled'),
      );
      expect(
        paused.map((g) => g.reason),
        c,
      ).toEqual(['method_disabled', 'capture_disabled']);
      for (const g of paused) {
        expect(g.count, `${c} ${g.reason}`).toBeGreaterThanOrEqual(4);
        expect(g.count).toBeLessThanOrEqual(50); // 1 s off, plus a loaded machine's apply time
        expect(g.end - g.start).toBeCloseTo((g.count - 1) * PERIOD, 3);
      }
      expectNoHole(rs);
    }
  }, 120_000);

  it('a method disabled when the gateway stops and enabled after its restart: one method_disabled gap over the whole span', async () => {
    const dir = path.join(tmp, 'restart');
    const gw1 = await Gateway.start({ plan: config(dir, {}), logger: nullLogger });
    try {
      await moreReadings(dir, 3);
      await gw1.applyPlan(config(dir, { camera: false, sensor: false }));
      await pass(500);
    } finally {
      await gw1.stop();
    }
    await pass(500);
    // restarts with the methods still off, then they are enabled live
    const gw2 = await Gateway.start({
      plan: config(dir, { camera: false, sensor: false }),
      logger: nullLogger,
    });
    try {
      await pass(300);
      await gw2.applyPlan(config(dir, {}));
      await moreReadings(dir, 3);
    } finally {
      await gw2.stop();
    }
    for (const c of ['cam', 'health']) {
      const rs = await of(dir, c);
      const gaps = rs.filter(
        (r): r is GapRecord =>
          r.kind === 'gap' && ['method_disabled', 'capture_stopped'].includes(r.reason),
      );
      expect(
        gaps.map((g) => g.reason),
        c,
      ).toEqual(['method_disabled']);
      expect(gaps[0]!.count).toBeGreaterThanOrEqual(6);
      expectNoHole(rs);
    }
  }, 120_000);
});
