import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/app/gateway.js';
import { CHECKPOINT_FILE } from '../../src/capture/checkpoint.js';
import { mergeRecovered } from '../../src/capture/resume-times.js';
import { decodeCaptureFile, FINISHED_SUFFIX } from '../../src/capture/file-format.js';
import { walkCaptureDir } from '../../src/capture/files.js';
import { nullLogger } from '../../src/shared/logger.js';
import { main } from '../../src/cli/main.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import { board, entry, plan } from '../capture/engine/helpers.js';
import { captureContext, type CapturedContext } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-app-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function readCheckpoint(dir: string): Promise<{ entries: Record<string, number> }> {
  try {
    return JSON.parse(await fsp.readFile(path.join(dir, CHECKPOINT_FILE), 'utf8')) as {
      entries: Record<string, number>;
    };
  } catch {
    return { entries: {} };
  }
}

async function readRecords(dir: string): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX])) {
    const d = decodeCaptureFile(await fsp.readFile(f.path));
    expect(d.torn).toBeNull();
    out.push(...d.records);
  }
  return out;
}

const cli = (env: NodeJS.ProcessEnv = {}): CapturedContext =>
  captureContext({ ...process.env, WHARF_LOG_LEVEL: 'error', ...env }, tmp);

describe('Gateway (composition root)', () => {
  it('captures into files, serves /metrics and /status, reloads live, stops cleanly, and accounts downtime on restart', async () => {
    const dir = path.join(tmp, 'gw1');
    const e1 = entry('b1', 'Analogs', ['A1', 'A2'], 20);
    const p1 = {
      ...plan([board('b1')], [e1], { capture_dir: dir, flush_interval_ms: 100 }),
      gateway: {
        broker: { mode: 'embedded' as const, host: '127.0.0.1', port: 0 },
        sync: null,
        http: { host: '127.0.0.1', port: 0 },
      },
    };
    const gw = await Gateway.start({ plan: p1, logger: nullLogger });
    expect(gw.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Wait until readings are durable (the flush runs every 100 ms), not for a fixed time.
    await waitFor(() => gw.store.stats().durable > 0, 10_000, 'the first durable records');
    const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^wharf_readings_total\{board="b1",method="Analogs"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^wharf_board_online\{board="b1"\} 1$/m);
    expect(metrics).toMatch(/^wharf_store_records_durable [1-9]\d*$/m);
    // prom-client's process metrics, what operators of a Pi scrape
    expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d/m);
    const status = (await (await fetch(`${gw.httpUrl}/status`)).json()) as {
      entries: { key: string; mode: string }[];
      capture_dir: string;
    };
    expect(status.capture_dir).toBe(dir);
    expect(status.entries).toEqual([expect.objectContaining({ key: e1.key, mode: 'streamed' })]);
    expect((await fetch(`${gw.httpUrl}/nope`)).status).toBe(404);

    // Live: add a polled entry; a new flush interval waits for a restart (a new capture_dir
    // applies live: test/app/capture-dir-live.test.ts).
    const e2 = entry('b1', 'Gpio', ['27'], 2);
    const s = await gw.applyPlan({
      ...p1,
      entries: [e1, e2],
      dataManager: { ...p1.dataManager, flush_interval_ms: 5000 },
    });
    expect(s).toMatchObject({ added: [e2.key], unchanged: [e1.key] });
    expect(gw.currentPlan.dataManager.flush_interval_ms).toBe(100);
    expect(gw.captureDir).toBe(dir);
    // Both entries have a durable record on the checkpoint and e1 has more than 10 readings.
    const analogReadings = gw.metrics.counter('wharf_readings_total', '');
    await waitFor(
      async () =>
        analogReadings.get({ board: 'b1', method: 'Analogs' }) > 10 &&
        Object.keys((await readCheckpoint(dir)).entries).length === 2,
      10_000,
      'e1 past 10 readings and both entries on the checkpoint',
    );
    await gw.stop();
    await gw.stop(); // idempotent

    const first = await readRecords(dir);
    expect(first.filter((r) => r.kind === 'reading').length).toBeGreaterThan(10);
    expect((await walkCaptureDir(dir, ['.prog'])).length).toBe(0);
    const checkpoint = await readCheckpoint(dir);
    expect(Object.keys(checkpoint.entries).sort()).toEqual([e1.key, e2.key].sort());

    // Restart once the downtime since the last durable record is more than a tick of the 2 Hz
    // entry (500 ms): the downtime is one capture_stopped gap per entry.
    const lastMark = Math.max(...Object.values(checkpoint.entries));
    await waitFor(() => Date.now() > lastMark + 700, 10_000, 'downtime longer than a 2 Hz tick');
    const gw2 = await Gateway.start({
      plan: { ...p1, entries: [e1, e2] },
      logger: nullLogger,
      http: null,
    });
    // each collector accounts the downtime at its first tick (polled) or batch (streamed)
    const gaps2 = gw2.metrics.counter('wharf_gaps_total', '');
    await waitFor(
      () => gaps2.get({ board: 'b1', reason: 'capture_stopped' }) >= 2,
      10_000,
      'both entries to account the downtime',
    );
    await gw2.stop();
    const all = await readRecords(dir);
    const stopped = all.filter((r) => r.kind === 'gap' && r.reason === 'capture_stopped');
    expect(stopped.length).toBe(2);
    for (const g of stopped) if (g.kind === 'gap') expect(g.count).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('refuses to start on a taken HTTP port with a message that says what to do', async () => {
    const dir = path.join(tmp, 'gw2');
    const p = {
      ...plan([board('b1')], [], { capture_dir: dir }),
      gateway: {
        broker: { mode: 'embedded' as const, host: '127.0.0.1', port: 0 },
        sync: null,
        http: { host: '127.0.0.1', port: 0 },
      },
    };
    const a = await Gateway.start({ plan: p, logger: nullLogger });
    const port = Number(new URL(a.httpUrl!).port);
    const other = {
      ...p,
      dataManager: { ...p.dataManager, capture_dir: path.join(tmp, 'gw2-other') },
    };
    await expect(
      Gateway.start({ plan: other, logger: nullLogger, http: { host: '127.0.0.1', port } }),
    ).rejects.toThrow(
      /cannot listen on http:\/\/127\.0\.0\.1:\d+ \(EADDRINUSE\).*"http": \{"port"/,
    );
    await a.stop();
  });

  it('mergeRecovered takes the newer of checkpoint and recovered file per entry', () => {
    const meta = {
      part_id: 'p',
      machine: 'm',
      component_type: 'board',
      component_name: 'c',
      method_name: 'Analogs',
      additional_parameters: { A1: '' },
      tags: [],
    };
    const shuffled = {
      tags: [],
      additional_parameters: { A1: '' },
      method_name: 'Analogs',
      component_name: 'c',
      component_type: 'board',
      machine: 'm',
      part_id: 'p',
    };
    const r = mergeRecovered(
      new Map([['k', 100]]),
      [
        { meta: shuffled, lastRecordTime: 250 },
        { meta: { ...meta, component_name: 'other' }, lastRecordTime: 999 },
      ],
      new Map([['k', meta]]),
    );
    expect([...r]).toEqual([['k', 250]]);
    expect([
      ...mergeRecovered(
        new Map([['k', 300]]),
        [{ meta, lastRecordTime: 250 }],
        new Map([['k', meta]]),
      ),
    ]).toEqual([['k', 300]]);
  });
});

describe('wharf run / wharf demo (CLI)', () => {
  it('wharf run on a broken config prints every problem and starts nothing', async () => {
    const bad = path.join(tmp, 'bad.json');
    writeFileSync(
      bad,
      '{"services": [{"name": "data_manager", "type": "data_manager", "attributes": {"flush_interval_ms": -5}}]}',
    );
    const ctx = cli();
    const code = await main(['run', '--config', bad], ctx);
    expect(code).toBe(1);
    expect(ctx.err()).toMatch(/flush_interval_ms/);
    expect(ctx.err()).toMatch(/nothing was started/);
  });

  it('wharf run without --config says so', async () => {
    const ctx = cli();
    expect(await main(['run'], ctx)).toBe(1);
    expect(ctx.err()).toMatch(/--config FILE is required/);
  });

  it('wharf demo --duration runs sim boards, two emulated firmware ESP32s with sensors and the cloud, data under WHARF_HOME', async () => {
    const home = path.join(tmp, 'home');
    const ctx = cli({ WHARF_HOME: home });
    const code = await main(['demo', '--duration', '1.5'], ctx);
    expect(code, ctx.err()).toBe(0);
    const out = ctx.out();
    // 3 sim boards (6 entries) + 2 emulated ESP32s running the firmware bundle (serial + MQTT,
    // 4 entries each: Analogs, Gpio and the Readings of a pulse counter and a calibrated analog)
    expect(out).toMatch(/wharf: capturing 14 entries from 5 boards/);
    expect(out).toMatch(/firmware: emulated ESP32 'esp32-serial'/);
    expect(out).toMatch(/sensors: +<board>-parts-out: pulse_counter on D14, 5 pulses\/s/);
    expect(out).toMatch(/<board>-line-pressure: analog_linear on D39, 0\.6–3\.0 V → 0–10 bar/);
    expect(out).toMatch(/cloud: +http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain(`data:     ${path.join(home, 'capture')}`);
    expect(out).toContain(`wharf data stats ${path.join(home, 'capture')}`);
    expect(out).toMatch(/metrics: {2}http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(out).toMatch(/stopped \(duration elapsed\); \d+ records durable/);
    const stoppedAt = Date.now();
    // the clean stop finished the files and synced them once more: nothing finished is left
    // behind, and the cloud has readings up to the stop (not only up to the last periodic sync)
    expect(await walkCaptureDir(path.join(home, 'capture'), [FINISHED_SUFFIX])).toEqual([]);
    const store = new SqliteStore(path.join(home, 'cloud.db'));
    try {
      const totals = await store.totals();
      expect(totals.records).toBeGreaterThan(10);
      const newest = (await store.streamStats(0, stoppedAt)).reduce(
        (m, s) => Math.max(m, s.last_seen ?? 0),
        0,
      );
      expect(stoppedAt - newest).toBeLessThan(3000);
      // the emulated ESP32s' board-side sensors went capture → sync → cloud as Readings: every
      // sensor stream is there (readings, or gaps with their reason while a board was still
      // connecting: the run is short), and what was read is right
      const sensorRows = async (kind?: 'reading' | 'gap') =>
        (
          await store.query(
            { component_type: ['sensor'], method: ['Readings'], ...(kind ? { kind } : {}) },
            { limit: 10_000, order: 'asc' },
          )
        ).rows;
      const names = new Set((await sensorRows()).map((r) => r.component_name));
      expect([...names].sort()).toEqual([
        'esp32-mqtt-line-pressure',
        'esp32-mqtt-parts-out',
        'esp32-serial-line-pressure',
        'esp32-serial-parts-out',
      ]);
      const rows = await sensorRows('reading');
      const value = (d: unknown, k: string) => (d as Record<string, { value: number }>)[k]!.value;
      const pressure = rows.filter((r) => r.component_name.endsWith('-line-pressure'));
      expect(pressure.length, 'line-pressure readings in the cloud').toBeGreaterThan(0);
      for (const r of pressure) {
        const volts = value(r.data, 'volts');
        // D39 carries 2.0 ± 0.8 V; 0.6–3.0 V → 0–10 bar, applied on the board
        expect(volts).toBeGreaterThan(1.1);
        expect(volts).toBeLessThan(2.9);
        expect(value(r.data, 'value')).toBeCloseTo(((volts - 0.6) * 10) / 2.4, 4);
        expect((r.data as unknown as { value: { unit?: string } }).value.unit).toBe('bar');
      }
      for (const name of ['esp32-serial-parts-out', 'esp32-mqtt-parts-out']) {
        const parts = rows.filter((r) => r.component_name === name);
        if (parts.length === 0) continue;
        // every counted pulse is in exactly one reading: the counts add up to the running total
        const counts = parts.reduce((n, r) => n + value(r.data, 'count'), 0);
        expect(counts, name).toBe(value(parts[parts.length - 1]!.data, 'total'));
      }
    } finally {
      await store.close();
    }
  }, 20_000);
});
