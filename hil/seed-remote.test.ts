/**
 * Seed configs capture as written (issue 14, item 4): the seed's main-part-esp32-remote.jsonc,
 * read unchanged from the seeds folder, names its ESP32 by a Viam cloud address
 * (`esp-home-main.33vvxnbbw9.viam.cloud:80`). wharf takes that as a board that dials in over MQTT,
 * logging in with the remote's name and secret. An emulated ESP32 running the real firmware bundle
 * logs in as `esp-home` with the seed's secret and the gateway captures its Analogs and Gpio.
 * The board config (readers → pins) is the seed's own esp32-board-part.json, given through
 * WHARF_REMOTE_PARTS (the machine config names its remote's part only by cloud address).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../src/app/gateway.js';
import { explainPlan, loadConfigFile } from '../src/config/index.js';
import type { CapturePlan } from '../src/config/plan.js';
import { nullLogger } from '../src/shared/logger.js';
import type { AnalogValue, GpioValue } from '../src/shared/record.js';
import { capturedRows } from '../test/helpers/captured.js';
import { waitFor } from '../test/helpers/wait.js';
import { EmulatedBoard } from '../src/emulator/board.js';
import { bundleFor } from './emulator/bundle.js';
import { EMULATED_INPUTS } from './targets.js';
import { SEEDS } from '../test/config/helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('seed remote-board config, unchanged', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('explain says in one line that esp-home dials in over MQTT', async () => {
    const r = await loadConfigFile(path.join(SEEDS, 'main-part-esp32-remote.jsonc'), {
      env: { HOME: '/home/tester' },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.plan.boards).toMatchObject([
      {
        id: 'esp-home',
        transport: 'mqtt',
        address: 'mqtt://esp-home',
        dial_in: 'esp-home-main.33vvxnbbw9.viam.cloud:80',
      },
    ]);
    expect(r.plan.entries.every((e) => e.supported)).toBe(true);
    const lines = explainPlan(r.plan)
      .split('\n')
      .filter((l) => l.includes('dials in'));
    expect(lines).toEqual([
      'remote "esp-home" (address esp-home-main.33vvxnbbw9.viam.cloud:80) dials in: the board connects to this gateway\'s MQTT broker and logs in as "esp-home" with the remote\'s secret',
    ]);
    // the secret is never printed
    expect(explainPlan(r.plan)).not.toContain('REDACTED');
  });

  it('captures Analogs and Gpio from an emulated ESP32 logging in as esp-home', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-seed-remote-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const r = await loadConfigFile(path.join(SEEDS, 'main-part-esp32-remote.jsonc'), {
      env: {
        HOME: dir,
        WHARF_HOME: dir,
        WHARF_REMOTE_PARTS: `esp-home=${path.join(SEEDS, 'esp32-board-part.json')}`,
      },
    });
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.plan.dataManager.capture_dir).toBe(path.join(dir, 'capture'));
    // only what this machine needs: any free broker port (1883 may be taken), no http listener
    const plan: CapturePlan = {
      ...r.plan,
      gateway: {
        ...r.plan.gateway,
        http: null,
        broker: { mode: 'embedded', host: '127.0.0.1', port: 0 },
      },
      dataManager: {
        ...r.plan.dataManager,
        flush_interval_ms: 200,
        maximum_capture_file_age_ms: 500,
      },
    };
    const gw = await Gateway.start({ plan, logger: nullLogger, http: null });
    let stopped = false;
    cleanups.push(async () => {
      if (!stopped) await gw.stop();
    });
    const broker = gw.broker?.embedded();
    if (!broker) throw new Error('no embedded broker for the dial-in remote');
    const board = new EmulatedBoard({
      code: await bundleFor({
        transport: 'mqtt',
        boardId: 'esp-home',
        mqttHost: '127.0.0.1',
        mqttPort: broker.port,
        secret: 'REDACTED', // the seed remote's secret
      }),
      ...EMULATED_INPUTS,
    }).start();
    cleanups.push(() => board.stop());
    const until = Date.now() + 30_000;
    while (
      Date.now() < until &&
      !(gw.engine.status().length === 4 && gw.engine.status().every((e) => e.online))
    )
      await sleep(100);
    expect(
      gw.engine
        .status()
        .map((e) => `${e.key} ${e.online ? 'online' : 'offline'}`)
        .sort(),
    ).toEqual([
      'esp-home/board/my-esp32/Analogs/A1 online',
      'esp-home/board/my-esp32/Analogs/A1,A2 online',
      'esp-home/board/my-esp32/Analogs/A2 online',
      'esp-home/board/my-esp32/Gpio/27 online',
    ]);
    // capture until the readings asserted below were taken (counted as the gateway stores them;
    // the stop flushes them to the files), not for a guessed time
    const readingsTotal = gw.metrics.counter('wharf_readings_total', '');
    await waitFor(
      () =>
        readingsTotal.get({ board: 'esp-home', method: 'Analogs' }) >= 25 &&
        readingsTotal.get({ board: 'esp-home', method: 'Gpio' }) >= 1,
      30_000,
      'A1, A2 and pin 27 captured',
    );
    await gw.stop();
    stopped = true;
    const rows = await capturedRows(plan.dataManager.capture_dir);
    const both = rows.filter(
      (x) => x.method_name === 'Analogs' && 'A1' in x.data && 'A2' in x.data,
    );
    expect(both.length).toBeGreaterThanOrEqual(1);
    const a1 = rows.filter((x) => x.method_name === 'Analogs' && 'A1' in x.data);
    expect(a1.length).toBeGreaterThan(10); // A1 at 10 Hz from the part file, plus A1,A2 at 1 Hz
    const v = (a1[0]?.data as Record<string, AnalogValue>).A1;
    expect(v?.max_range).toBeCloseTo(3.3);
    expect((v?.value ?? 0) * (v?.step_size ?? 0)).toBeCloseTo(1.65, 1); // D34 is held at 1.65 V
    const gpio = rows.filter((x) => x.method_name === 'Gpio' && '27' in x.data);
    expect(gpio.length).toBeGreaterThanOrEqual(1);
    expect((gpio[0]?.data as Record<string, GpioValue>)['27']?.high).toBe(true);
    expect(rows.every((x) => x.tags.includes('tag1') && x.tags.includes('tag2'))).toBe(true);
  }, 90_000);
});
