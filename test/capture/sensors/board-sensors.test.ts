/**
 * Board-side sensors through the whole gateway: a remote part's sensor components (a pulse counter,
 * a calibrated analog pin, the chip temperature) in the machine config, an emulated ESP32 running
 * the real MQTT firmware bundle dialling into the gateway's embedded broker, capture files with
 * `Readings`, then sync to the cloud (SQLite and PostgreSQL) where they are queryable in SQL and
 * charted. The emulated interpreter has no E.getTemperature: the chip temperature is a read_error
 * gap saying so on every tick, never a value.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/app/gateway.js';
import { decodeCaptureFile, FINISHED_SUFFIX } from '../../../src/capture/file-format.js';
import { walkCaptureDir } from '../../../src/capture/files.js';
import type { CapturePlan } from '../../../src/config/plan.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { toViamRow, type SensorValue, type ViamRow } from '../../../src/shared/record.js';
import { HttpSyncTarget } from '../../../src/sync/http-target.js';
import { SyncWorker } from '../../../src/sync/worker.js';
import { EmulatedBoard } from '../../../src/emulator/board.js';
import { constant, expectedRaw } from '../../../src/emulator/signals.js';
import { bundleFor } from '../../../hil/emulator/bundle.js';
import { startCloud } from '../../cloud/cloud-helper.js';
import { pgUser } from '../../cloud/pg-helper.js';
import { load, planOf } from '../../config/helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-board-sensors-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const user = await pgUser();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const readings = (hz: number) => ({
  type: 'data_manager',
  attributes: { capture_methods: [{ method: 'Readings', capture_frequency_hz: hz }] },
});

const config = (dir: string) => ({
  services: [
    {
      name: 'data_manager',
      type: 'data_manager',
      attributes: { capture_dir: dir, flush_interval_ms: 100, maximum_capture_file_age_ms: 300 },
    },
  ],
  remotes: [
    {
      name: 'esp-line',
      address: 'mqtt://esp-line',
      secret: 'line-secret',
      components: [
        { name: 'my-esp32', type: 'board', attributes: { pins: [27], analogs: [] } },
        {
          name: 'parts',
          type: 'sensor',
          model: 'pulse_counter',
          attributes: { pin: 14, edge: 'rising', debounce_ms: 2 },
          service_configs: [readings(5)],
        },
        {
          name: 'pressure',
          type: 'sensor',
          model: 'analog_linear',
          attributes: { pin: 34, in_min: 0.6, in_max: 3.0, out_min: 0, out_max: 10, unit: 'bar' },
          service_configs: [readings(1)],
        },
        // fast enough to stream, but refused by this board: polled, so the others keep streaming
        { name: 'chip', type: 'sensor', model: 'chip_temperature', service_configs: [readings(5)] },
      ],
    },
  ],
  wharf: { machine: 'gw-s', http: null },
});

async function rows(dir: string): Promise<ViamRow[]> {
  const out: ViamRow[] = [];
  for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX])) {
    const d = decodeCaptureFile(await fsp.readFile(f.path));
    for (const r of d.records) out.push(toViamRow(d.header.meta, r));
  }
  return out.sort((a, b) => a.time_requested - b.time_requested);
}

const bar = (((expectedRaw(1.8) * 3.3) / 4096) * 10) / 2.4 - (0.6 * 10) / 2.4;

describe('board-side sensors captured by the gateway and synced to the cloud', () => {
  for (const [name, kind] of [
    ['SQLite', 'sqlite'],
    ['PostgreSQL', user === null ? null : { pgUser: user }],
  ] as const) {
    it.skipIf(kind === null)(
      `pulses counted exactly, calibrated pressure, chip temperature an explicit gap (${name})`,
      async () => {
        const dir = path.join(tmp, name);
        const loaded = planOf(load(config(dir)));
        const plan: CapturePlan = {
          ...loaded,
          gateway: {
            ...loaded.gateway,
            http: null,
            broker: { mode: 'embedded', host: '127.0.0.1', port: 0 },
          },
        };
        const gw = await Gateway.start({ plan, logger: nullLogger, http: null });
        let board: EmulatedBoard | undefined;
        try {
          const broker = gw.broker?.embedded();
          if (!broker) throw new Error('no embedded broker');
          board = new EmulatedBoard({
            code: await bundleFor({
              transport: 'mqtt',
              boardId: 'esp-line',
              mqttHost: '127.0.0.1',
              mqttPort: broker.port,
              secret: 'line-secret',
            }),
            analog: { D34: constant(1.8) },
          }).start();
          const end = Date.now() + 30_000;
          const online = () =>
            gw.engine.status().length === 3 && gw.engine.status().every((e) => e.online);
          while (!online()) {
            if (Date.now() > end) throw new Error('sensor entries not online');
            await sleep(100);
          }
          await board.pulses('D14', 40, { highMs: 5, lowMs: 5 });
          const parts = async () =>
            (await rows(dir)).filter((r) => r.component_name === 'parts' && r.kind === 'reading');
          const total = (rs: ViamRow[]) =>
            Math.max(0, ...rs.map((r) => (r.data as Record<string, SensorValue>).total!.value));
          while (total(await parts()) < 40) {
            if (Date.now() > end + 15_000) throw new Error('the 40 pulses never reached the files');
            await sleep(100);
          }
          // the plan was accepted by now: the pulse counter streams (5 Hz), pressure is polled
          // (1 Hz); the refused chip sensor is polled whatever its rate, so it does not take the
          // board's stream down with it (a refused streamed plan makes every entry polled)
          expect(
            Object.fromEntries(gw.engine.status().map((e) => [e.key.split('/')[2], e.mode])),
          ).toEqual({ parts: 'streamed', pressure: 'polled', chip: 'polled' });
          // the chip's read_error gaps and a pressure reading on disk (files flush in the background)
          const onDisk = async () => {
            const rs = await rows(dir);
            return (
              rs.some(
                (r) =>
                  r.component_name === 'chip' &&
                  r.kind === 'gap' &&
                  (r.data as { reason: string }).reason === 'read_error',
              ) && rs.some((r) => r.component_name === 'pressure' && r.kind === 'reading')
            );
          };
          while (!(await onDisk())) {
            if (Date.now() > end + 30_000)
              throw new Error('no chip gap or pressure reading on disk');
            await sleep(100);
          }
        } finally {
          await board?.stop();
          await gw.stop();
        }
        const all = await rows(dir);
        const of = (c: string, k: 'reading' | 'gap') =>
          all.filter((r) => r.component_name === c && r.kind === k);
        const parts = of('parts', 'reading').map((r) => r.data as Record<string, SensorValue>);
        expect(parts.reduce((n, d) => n + d.count!.value, 0)).toBe(40);
        expect(parts[parts.length - 1]!.total!.value).toBe(40);
        expect(of('parts', 'reading')[0]).toMatchObject({
          component_type: 'sensor',
          method_name: 'Readings',
          machine: 'gw-s',
        });
        // 5 Hz on the board's own grid (streamed): 200 ms apart
        const pt = of('parts', 'reading').map((r) => r.time_requested);
        for (let i = 1; i < pt.length; i++)
          expect(Math.abs(((pt[i]! - pt[0]!) % 200) - 100)).toBeGreaterThan(90);
        const pressure = of('pressure', 'reading').map(
          (r) => r.data as Record<string, SensorValue>,
        );
        expect(pressure.length).toBeGreaterThan(0);
        for (const d of pressure) {
          expect(d.value!.unit).toBe('bar');
          expect(d.value!.value).toBeCloseTo(bar, 5);
        }
        expect(of('chip', 'reading')).toEqual([]);
        const chipGaps = of('chip', 'gap').filter(
          (g) => (g.data as { reason: string }).reason === 'read_error',
        );
        expect(chipGaps.length).toBeGreaterThan(0);
        for (const g of chipGaps)
          expect(JSON.stringify(g.data)).toMatch(
            /cannot read sensor 'chip': unsupported: no E.getTemperature/,
          );

        const cloud = await startCloud(kind!);
        try {
          const key = (await cloud.store.createKey('gw-s')).key;
          const w = new SyncWorker({
            captureDir: dir,
            target: new HttpSyncTarget({ url: cloud.url, apiKey: key }),
            intervalMs: 60_000,
          });
          expect((await w.syncNow()).error).toBeNull();
          await w.stop();
          const reader = (await cloud.store.createKey(null, 'reader')).key;
          const auth = { authorization: `Bearer ${reader}`, 'content-type': 'application/json' };
          const sql = await fetch(`${cloud.url}/api/v1/sql`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({
              sql: "SELECT data FROM readings WHERE component_name = 'parts' AND method_name = 'Readings' AND kind = 'reading'",
            }),
          });
          const res = (await sql.json()) as { rows: unknown[][] };
          const counts = res.rows.map((r) => {
            const d = (typeof r[0] === 'string' ? JSON.parse(r[0]) : r[0]) as Record<
              string,
              SensorValue
            >;
            return d.count!.value;
          });
          expect(counts.reduce((a, b) => a + b, 0)).toBe(40);
          const series = await fetch(`${cloud.url}/api/v1/series?component_name=pressure`, {
            headers: { authorization: `Bearer ${reader}` },
          });
          const s = (await series.json()) as { series: { key: string; v: (number | null)[] }[] };
          const value = s.series.find((l) => l.key === 'value');
          expect(value?.v.filter((v) => v !== null).length).toBeGreaterThan(0);
          for (const v of value!.v) if (v !== null) expect(v).toBeCloseTo(bar, 4);
        } finally {
          await cloud.close();
        }
      },
      90_000,
    );
  }
  it('a gateway stop and start: pulses counted while it was down reach the next reading, none twice', async () => {
    const dir = path.join(tmp, 'restart');
    const free = net.createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const loaded = planOf(load(config(dir)));
    const plan: CapturePlan = {
      ...loaded,
      gateway: {
        ...loaded.gateway,
        http: null,
        broker: { mode: 'embedded', host: '127.0.0.1', port },
      },
    };
    const parts = async () =>
      (await rows(dir)).filter((r) => r.component_name === 'parts' && r.kind === 'reading');
    const total = (rs: ViamRow[]) =>
      Math.max(0, ...rs.map((r) => (r.data as Record<string, SensorValue>).total!.value));
    const waitTotal = async (n: number, what: string) => {
      const end = Date.now() + 40_000;
      while (total(await parts()) < n) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
      }
    };
    const down = { from: 0, to: 0 };
    let gw = await Gateway.start({ plan, logger: nullLogger, http: null });
    const board = new EmulatedBoard({
      code: await bundleFor({
        transport: 'mqtt',
        boardId: 'esp-line',
        mqttHost: '127.0.0.1',
        mqttPort: port,
        secret: 'line-secret',
      }),
      analog: { D34: constant(1.8) },
    }).start();
    try {
      const end = Date.now() + 30_000;
      while (!(gw.engine.status().length === 3 && gw.engine.status().every((e) => e.online))) {
        if (Date.now() > end) throw new Error('sensor entries not online');
        await sleep(100);
      }
      await board.pulses('D14', 20, { highMs: 5, lowMs: 5 });
      await waitTotal(20, 'the first 20 pulses');
      await gw.stop();
      down.from = Date.now();
      // the gateway is down: the board keeps counting and sampling into its backlog
      await board.pulses('D14', 30, { highMs: 5, lowMs: 5 });
      await sleep(500); // deliberate: the gateway stays down a while longer
      down.to = Date.now();
      gw = await Gateway.start({ plan, logger: nullLogger, http: null });
      await waitTotal(50, 'the 30 pulses counted while the gateway was down');
    } finally {
      await board.stop();
      await gw.stop();
    }
    const got = await parts();
    // A stopping gateway stops the board's plan (the downtime is a capture_stopped gap) and the
    // first reading after it counts the edges since the board's previous sample, i.e. the pulses of
    // the downtime; had the board kept sampling, its backlog would carry them. Either way the
    // readings after the stop hold exactly the 30 pulses, and the total runs on.
    const sinceStop = got.filter((r) => r.time_requested > down.from);
    const count = (r: ViamRow) => (r.data as Record<string, SensorValue>).count!.value;
    expect(sinceStop.reduce((n, r) => n + count(r), 0)).toBe(30);
    expect(total(got)).toBe(50);
    const times = got.map((r) => r.time_requested);
    expect(new Set(times).size).toBe(times.length);
    expect(got.reduce((n, r) => n + (r.data as Record<string, SensorValue>).count!.value, 0)).toBe(
      50,
    );
  }, 120_000);
});
