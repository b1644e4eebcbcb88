/**
 * Board-side sensors end to end at the transport: the built firmware bundle in the emulator on a
 * real pty (serial build) and on the embedded broker (MQTT build), the gateway's ProtocolBoard
 * sending the sensors in `cfg`, reading them (polled) and receiving their streamed batches:
 * injected pulses counted exactly, the calibration applied, the chip temperature present, or
 * refused with its reason where the interpreter has no E.getTemperature.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BoardHardwareConfig, StreamBatch } from '../../../src/boards/board.js';
import { startEmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { SerialConnector } from '../../../src/boards/serial/serial-link.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { SensorValue } from '../../../src/shared/record.js';
import { EmulatedBoard, type EmulatedBoardOptions } from '../../../src/emulator/board.js';
import { bundleFor } from '../../../hil/emulator/bundle.js';
import { PtySerial } from '../../../src/emulator/serial-binding.js';
import { constant, expectedRaw } from '../../../src/emulator/signals.js';
import { requireTool } from '../../helpers/system-tool.js';
import { PtyPair } from '../helpers/pty.js';
import { until } from '../helpers/wait.js';

/** 4–20 mA over 150 Ω (0.6–3.0 V) → 0–10 bar. */
const scale = 10 / 2.4;
const offset = -0.6 * scale;
const hardware: BoardHardwareConfig = {
  analogs: [],
  pins: [],
  sensors: [
    {
      name: 'parts',
      model: 'pulse_counter',
      pin: '14',
      edge: 'rising',
      debounce_ms: 0,
      pull: 'none',
    },
    {
      name: 'pressure',
      model: 'analog_linear',
      pin: '34',
      scale,
      offset,
      unit: 'bar',
      attenuation_db: 11,
    },
    { name: 'chip', model: 'chip_temperature' },
  ],
};
const inputs = { analog: { D34: constant(1.8) } };
const volts = (expectedRaw(1.8) * 3.3) / 4096;

type Readings = Record<string, SensorValue>;

async function exercise(board: ProtocolBoard, emulator: EmulatedBoard, temp: boolean) {
  await board.connect();
  const p = (await board.read('Readings', ['pressure'], { timeoutMs: 3000 })) as Readings;
  expect(p.value!.unit).toBe('bar');
  expect(p.value!.value).toBeCloseTo(volts * scale + offset, 5);
  expect(p.volts).toEqual({ value: expect.closeTo(volts, 5), unit: 'V' });
  if (temp) {
    expect(await board.read('Readings', ['chip'], { timeoutMs: 3000 })).toEqual({
      temp_c: { value: 41.5, unit: 'C' },
    });
  } else {
    await expect(board.read('Readings', ['chip'], { timeoutMs: 3000 })).rejects.toMatchObject({
      code: 'BOARD_UNSUPPORTED',
      message: expect.stringMatching(/cannot read sensor 'chip': unsupported: no E.getTemperature/),
    });
  }
  const batches: StreamBatch[] = [];
  board.on('batch', (b) => batches.push(b));
  await board.configure([
    { key: 'parts', method: 'Readings', readers: ['parts'], hz: 10, mode: 'streamed' },
    { key: 'pressure', method: 'Readings', readers: ['pressure'], hz: 5, mode: 'streamed' },
  ]);
  await until(() => batches.some((b) => b.key === 'parts'), 20_000, 'first parts batch');
  await emulator.pulses('D14', 50, { highMs: 4, lowMs: 4 });
  const rows = (k: string) =>
    batches.filter((b) => b.key === k).flatMap((b) => b.samples.map((s) => s.data as Readings));
  await until(
    () => rows('parts').some((r) => r.total!.value === 50),
    20_000,
    'the 50 pulses in the total',
  );
  const parts = rows('parts');
  expect(parts.reduce((n, r) => n + r.count!.value, 0)).toBe(50);
  expect(Object.keys(parts[0]!).sort()).toEqual(['count', 'total']);
  for (const r of rows('pressure')) expect(r.value!.value).toBeCloseTo(volts * scale + offset, 5);
  expect(rows('pressure').length).toBeGreaterThan(0);
  await board.configure([]);
}

describe('board-side sensors: the real agent (emulated) against the gateway transports', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it.skipIf(!requireTool('socat', 'serial interop runs over a pty pair'))(
    'serial build over a pty (this interpreter has E.getTemperature)',
    async () => {
      const pty = new PtyPair();
      await pty.start();
      cleanups.push(() => pty.cleanup());
      const code = await bundleFor({ transport: 'serial', boardId: 'sens-serial' });
      const serial = await PtySerial.open(pty.b);
      const opts: EmulatedBoardOptions = { code, serial, ...inputs, temperatureC: constant(41.5) };
      const emulator = new EmulatedBoard(opts).start();
      cleanups.push(() => emulator.stop());
      const board = new ProtocolBoard(
        'sens-serial',
        hardware,
        new SerialConnector({ path: pty.a, baud: 115200 }),
        realClock,
        nullLogger,
      );
      cleanups.push(() => board.close());
      await exercise(board, emulator, true);
      expect(emulator.errors).toEqual([]);
    },
    60_000,
  );

  it('MQTT build on the embedded broker (this interpreter has no E.getTemperature)', async () => {
    const secret = 'sens-secret';
    const broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards: [{ id: 'sens-mqtt', secret }],
      logger: nullLogger,
    });
    cleanups.push(() => broker.close());
    const code = await bundleFor({
      transport: 'mqtt',
      boardId: 'sens-mqtt',
      mqttHost: '127.0.0.1',
      mqttPort: broker.port,
      secret,
    });
    const emulator = new EmulatedBoard({ code, ...inputs }).start();
    cleanups.push(() => emulator.stop());
    const board = new ProtocolBoard(
      'sens-mqtt',
      hardware,
      new MqttConnector('sens-mqtt', () => broker.bus, 5000),
      realClock,
      nullLogger,
    );
    cleanups.push(() => board.close());
    await exercise(board, emulator, false);
    expect(emulator.errors).toEqual([]);
  }, 60_000);
});
