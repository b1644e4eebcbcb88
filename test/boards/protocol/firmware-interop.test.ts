/**
 * Interop with the real board agent: the built firmware bundle runs in the HIL emulator (Espruino
 * API, isolated from Node) on one end of a real pty (serial build) or against the gateway's embedded
 * broker (MQTT build), and the gateway's own transports (ProtocolBoard + SerialConnector /
 * MqttConnector) talk to it: handshake with the board config, polled reads, a stream.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BoardGap, StreamBatch } from '../../../src/boards/board.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { SerialConnector } from '../../../src/boards/serial/serial-link.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { AnalogValue, GpioValue } from '../../../src/shared/record.js';
import { EmulatedBoard } from '../../../src/emulator/board.js';
import { bundleFor } from '../../../hil/emulator/bundle.js';
import { PtySerial } from '../../../src/emulator/serial-binding.js';
import { constant } from '../../../src/emulator/signals.js';
import { requireTool } from '../../helpers/system-tool.js';
import { PtyPair } from '../helpers/pty.js';

const hardware = {
  analogs: [
    { name: 'A1', pin: '34' },
    { name: 'A2', pin: '35' },
  ],
  pins: ['27'],
};
const inputs = { analog: { D34: constant(1.65), D35: constant(0) }, gpio: { D27: constant(1) } };
import { until } from '../helpers/wait.js';

async function exercise(board: ProtocolBoard): Promise<void> {
  const id = await board.connect();
  expect(id.protocol).toBe(1);
  expect(id.capabilities.analogs.sort()).toEqual(['A1', 'A2']);
  expect(id.capabilities.streamed).toBe(true);
  const a = (await board.read('Analogs', ['A1', 'A2'], { timeoutMs: 3000 })) as Record<
    string,
    AnalogValue
  >;
  expect(Math.abs(a.A1!.value - 2048)).toBeLessThanOrEqual(1);
  expect(a.A2!.value).toBe(0);
  expect(a.A1!.max_range).toBeCloseTo(3.3, 1);
  const g = (await board.read('Gpio', ['27'], { timeoutMs: 3000 })) as Record<string, GpioValue>;
  expect(g['27']).toEqual({ high: true });
  await expect(board.read('Analogs', ['nope'], { timeoutMs: 3000 })).rejects.toMatchObject({
    code: 'BOARD_UNSUPPORTED',
  });
  const batches: StreamBatch[] = [];
  const gaps: BoardGap[] = [];
  board.on('batch', (b) => batches.push(b));
  board.on('gap', (g) => gaps.push(g));
  const t0 = Date.now();
  await board.configure([
    { key: 'fw', method: 'Analogs', readers: ['A1'], hz: 50, mode: 'streamed' },
  ]);
  // 1.5 s of board time on the 50 Hz grid (readings + the board's own missed_ticks gaps)
  const accounted = () =>
    batches.filter((b) => b.key === 'fw').reduce((n, b) => n + b.samples.length, 0) +
    gaps.filter((g) => g.key === 'fw').reduce((n, g) => n + g.count, 0);
  await until(() => accounted() >= 75, 30_000, '1.5 s of samples or reported misses');
  const mine = batches.filter((b) => b.key === 'fw');
  expect(mine.map((b) => b.seq)).toEqual(mine.map((_, i) => i));
  const samples = mine.flatMap((b) => b.samples);
  // most instants are samples; the rest the (emulated, possibly CPU-starved) board reported
  expect(samples.length).toBeGreaterThan(accounted() / 2);
  // On the 20 ms grid; a sample the (emulated, CPU-starved) board could not take is a hole the board
  // itself reported as a missed_ticks gap, never silence.
  let holes = 0;
  for (let i = 1; i < samples.length; i++) {
    const d = samples[i]!.timeRequested - samples[i - 1]!.timeRequested;
    const k = Math.round(d / 20);
    expect(k).toBeGreaterThanOrEqual(1);
    expect(Math.abs(d - k * 20)).toBeLessThanOrEqual(2);
    holes += k - 1;
  }
  expect(holes).toBeLessThanOrEqual(
    gaps
      .filter((g) => g.key === 'fw' && g.reason === 'missed_ticks')
      .reduce((n, g) => n + g.count, 0),
  );
  for (const s of samples) {
    expect(s.timeRequested).toBeGreaterThan(t0 - 50);
    expect(s.timeRequested).toBeLessThanOrEqual(s.timeReceived + 5);
  }
  await board.configure([]);
}

describe('the real board agent (emulated) against the gateway transports', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it.skipIf(!requireTool('socat', 'serial interop runs over a pty pair'))(
    'serial build over a pty',
    async () => {
      const pty = new PtyPair();
      await pty.start();
      cleanups.push(() => pty.cleanup());
      const code = await bundleFor({ transport: 'serial', boardId: 'fw-serial' });
      const serial = await PtySerial.open(pty.b);
      const emulator = new EmulatedBoard({ code, serial, ...inputs });
      emulator.start();
      cleanups.push(() => emulator.stop());
      const board = new ProtocolBoard(
        'fw-serial',
        hardware,
        new SerialConnector({ path: pty.a, baud: 115200 }),
        realClock,
        nullLogger,
      );
      cleanups.push(() => board.close());
      await exercise(board);
    },
  );

  it('MQTT build on the embedded broker (auth with the remote secret)', async () => {
    const secret = 'fw-secret-42';
    const broker: EmbeddedBroker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards: [{ id: 'fw-mqtt', secret }],
      logger: nullLogger,
    });
    cleanups.push(() => broker.close());
    const code = await bundleFor({
      transport: 'mqtt',
      boardId: 'fw-mqtt',
      mqttHost: '127.0.0.1',
      mqttPort: broker.port,
      secret,
    });
    const emulator = new EmulatedBoard({ code, ...inputs });
    emulator.start();
    cleanups.push(() => emulator.stop());
    const board = new ProtocolBoard(
      'fw-mqtt',
      hardware,
      new MqttConnector('fw-mqtt', () => broker.bus, 5000),
      realClock,
      nullLogger,
    );
    cleanups.push(() => board.close());
    await exercise(board);
  });
});
