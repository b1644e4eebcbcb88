/**
 * The firmware demo part: two emulated ESP32s with the real bundle added to a gateway plan (serial
 * over a pty, MQTT on the embedded broker), each with board-side sensors (a pulse counter fed by
 * a steady emulated pulse source, an analog pin calibrated to bar); the gateway captures from both.
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
  it('adds an emulated serial and MQTT ESP32 with sensors to the plan and the gateway captures from both', async () => {
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
          .map((e) => `${e.component_name} ${e.method} ${e.hz}`),
      ).toEqual([
        'esp32-serial-board Analogs 10',
        'esp32-serial-board Gpio 1',
        'esp32-serial-parts-out Readings 1',
        'esp32-serial-line-pressure Readings 10',
        'esp32-mqtt-board Analogs 10',
        'esp32-mqtt-board Gpio 1',
        'esp32-mqtt-parts-out Readings 1',
        'esp32-mqtt-line-pressure Readings 10',
      ]);
      // the sensors travel to the board in the cfg handshake, as a remote part's config would send them
      expect(
        plan.boards
          .find((b) => b.id === 'esp32-mqtt')
          ?.components.flatMap((c) => c.hardware.sensors ?? []),
      ).toEqual([
        {
          name: 'esp32-mqtt-parts-out',
          model: 'pulse_counter',
          pin: '14',
          edge: 'rising',
          debounce_ms: 0,
          pull: 'none',
        },
        expect.objectContaining({
          name: 'esp32-mqtt-line-pressure',
          model: 'analog_linear',
          pin: '39',
          unit: 'bar',
        }),
      ]);
      // the app: default registry (serial, MQTT), embedded broker on an ephemeral port
      gw = await Gateway.start({ plan, logger: nullLogger, http: null });
      await part.afterGateway(gw);
      const until = Date.now() + 20_000;
      const esp = () => gw?.engine.status().filter((s) => s.board.startsWith('esp32-')) ?? [];
      while (Date.now() < until && !(esp().length === 8 && esp().every((s) => s.online)))
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
      await waitFor(
        () =>
          analogs.get({ board: 'esp32-serial', method: 'Readings' }) > 25 &&
          analogs.get({ board: 'esp32-mqtt', method: 'Readings' }) > 25,
        30_000,
        'more than 25 sensor Readings from each emulated ESP32',
      );
      await gw.stop();
      gw = undefined;
      const readings = new Map<string, number>();
      const gaps: string[] = [];
      const data = new Map<string, Record<string, { value: number; unit?: string }>[]>();
      for (const f of await listFinishedFiles(dir)) {
        const d = decodeCaptureFile(await readFile(f.path));
        const name = d.header.meta.component_name;
        const rs = d.records.filter((r) => r.kind === 'reading');
        for (const g of d.records)
          if (g.kind === 'gap')
            gaps.push(`${name} ${g.reason} ${g.count} ${g.end - g.start}ms ${g.detail ?? ''}`);
        readings.set(name, (readings.get(name) ?? 0) + rs.length);
        data.set(name, [
          ...(data.get(name) ?? []),
          ...rs.map((r) => r.data as Record<string, { value: number; unit?: string }>),
        ]);
      }
      expect(readings.get('esp32-serial-board')).toBeGreaterThan(15);
      expect(readings.get('esp32-mqtt-board')).toBeGreaterThan(15);
      for (const id of ['esp32-serial', 'esp32-mqtt']) {
        // the pulse counter counted the emulated pulses, each in exactly one reading
        const parts = data.get(`${id}-parts-out`) ?? [];
        expect(parts.length, `${id}-parts-out readings`).toBeGreaterThan(1);
        const total = parts[parts.length - 1]!.total!.value;
        expect(total).toBeGreaterThan(0);
        expect(parts.reduce((n, d) => n + d.count!.value, 0)).toBe(total);
        // the analog sensor is calibrated on the board: D39's 2.0 ± 0.8 V, 0.6–3.0 V → 0–10 bar
        const pressure = data.get(`${id}-line-pressure`) ?? [];
        expect(
          pressure.length,
          `${id}-line-pressure readings (gaps: ${gaps.filter((g) => g.startsWith(id)).join('; ')})`,
        ).toBeGreaterThan(15);
        for (const d of pressure) {
          expect(d.volts!.value).toBeGreaterThan(1.1);
          expect(d.volts!.value).toBeLessThan(2.9);
          expect(d.value!.value).toBeCloseTo(((d.volts!.value - 0.6) * 10) / 2.4, 4);
        }
      }
    } finally {
      await gw?.stop();
      await part.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
