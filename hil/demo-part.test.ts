/**
 * The firmware demo part: two emulated ESP32s with the real bundle added to a gateway plan (serial
 * over a pty, MQTT on the embedded broker); the gateway captures from both.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../src/app/gateway.js';
import { decodeCaptureFile } from '../src/capture/file-format.js';
import { listFinishedFiles } from '../src/capture/files.js';
import { nullLogger } from '../src/shared/logger.js';
import { requireTool } from '../test/helpers/system-tool.js';
import { waitFor } from '../test/helpers/wait.js';
import { simPlan } from '../test/sync/gateway-plan.js';
import { firmwareDemoPart } from '../src/app/demo-firmware.js';

const hasSocat = requireTool(
  'socat',
  'the firmware demo part runs an emulated ESP32 on a pty pair',
);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasSocat)('firmware demo part', () => {
  it('adds an emulated serial and MQTT ESP32 to the plan and the gateway captures from both', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-demo-fw-'));
    const part = await firmwareDemoPart.start({ home: dir, env: {}, logger: nullLogger });
    const base = simPlan(dir);
    let gw: Gateway | undefined;
    try {
      const plan = part.adjustPlan({
        ...base,
        gateway: { ...base.gateway, broker: { mode: 'embedded', host: '127.0.0.1', port: 0 } },
      });
      expect(plan.boards.map((b) => b.id)).toEqual(
        expect.arrayContaining(['esp32-serial', 'esp32-mqtt']),
      );
      expect(
        plan.entries
          .filter((e) => e.boardId.startsWith('esp32-'))
          .map((e) => `${e.boardId} ${e.method} ${e.hz}`),
      ).toEqual([
        'esp32-serial Analogs 10',
        'esp32-serial Gpio 1',
        'esp32-mqtt Analogs 10',
        'esp32-mqtt Gpio 1',
      ]);
      // the app: default registry (serial, MQTT), embedded broker on an ephemeral port
      gw = await Gateway.start({ plan, logger: nullLogger, http: null });
      await part.afterGateway(gw);
      const until = Date.now() + 20_000;
      const esp = () => gw?.engine.status().filter((s) => s.board.startsWith('esp32-')) ?? [];
      while (Date.now() < until && !(esp().length === 4 && esp().every((s) => s.online)))
        await sleep(100);
      expect(esp().every((s) => s.online)).toBe(true);
      const analogs = gw.metrics.counter('wharf_readings_total', '');
      await waitFor(
        () =>
          analogs.get({ board: 'esp32-serial', method: 'Analogs' }) > 15 &&
          analogs.get({ board: 'esp32-mqtt', method: 'Analogs' }) > 15,
        30_000,
        'more than 15 Analogs readings from each emulated ESP32',
      );
      await gw.stop();
      gw = undefined;
      const readings = new Map<string, number>();
      for (const f of await listFinishedFiles(dir)) {
        const d = decodeCaptureFile(await readFile(f.path));
        const name = d.header.meta.component_name;
        readings.set(
          name,
          (readings.get(name) ?? 0) + d.records.filter((r) => r.kind === 'reading').length,
        );
      }
      expect(readings.get('esp32-serial-board')).toBeGreaterThan(15);
      expect(readings.get('esp32-mqtt-board')).toBeGreaterThan(15);
    } finally {
      await gw?.stop();
      await part.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
