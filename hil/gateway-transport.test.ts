/**
 * HIL through the real gateway transports: the gateway's serial Board (src/boards/serial) against
 * the firmware bundle on an emulated ESP32 over a real pty, and its MQTT Board (src/boards/mqtt)
 * against one on the embedded broker; against a real board when WHARF_HIL_PORT is set.
 * Board-contract level: connect, read, stream, reboot, link pulled and restored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/shared/clock.js';
import { serialFactory } from '../src/boards/serial/serial-board.js';
import { mqttFactory } from '../src/boards/mqtt/mqtt-board.js';
import { startEmbeddedBroker } from '../src/boards/mqtt/broker.js';
import { nullLogger } from '../src/shared/logger.js';
import type { Board, BoardGap, BoardStatus, StreamBatch } from '../src/boards/board.js';
import type { AnalogValue, GpioValue } from '../src/shared/record.js';
import { requireTool } from '../test/helpers/system-tool.js';
import { waitFor } from '../test/helpers/wait.js';
import { ptyPair, type PtyPair } from '../src/emulator/pty.js';
import { EmulatedBoard } from '../src/emulator/board.js';
import { bundleFor } from './emulator/bundle.js';
import { PtySerial } from '../src/emulator/serial-binding.js';
import { EMULATED_INPUTS, FIXTURE } from './targets.js';

const hwPort = process.env.WHARF_HIL_PORT;
const hasSocat =
  hwPort !== undefined ||
  requireTool('socat', 'the gateway-transport HIL wires an emulated board to a real pty pair');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hardware = {
  analogs: FIXTURE.cfg.a.map(([name, pin]) => ({ name: name as string, pin: pin as string })),
  pins: [...FIXTURE.cfg.p],
};

interface Bench {
  name: string;
  hardware: boolean;
  mqtt?: boolean;
  make(): Promise<{ board: Board; emulator?: EmulatedBoard; close(): Promise<void> }>;
}

const options = { pingIntervalMs: 300, maxMissedPings: 3, requestTimeoutMs: 1000 };

const benches: Bench[] = [];
if (hwPort) {
  benches.push({
    name: `serial transport, real board on ${hwPort}`,
    hardware: true,
    make: async () => ({
      board: serialFactory({ clock: realClock, options }).create({
        id: 'hil-gw',
        address: new URL(`serial://${hwPort}?baud=${process.env.WHARF_HIL_BAUD ?? 115200}`),
        hardware,
      }),
      close: async () => undefined,
    }),
  });
} else {
  if (hasSocat)
    benches.push({
      name: 'serial transport, emulated ESP32 on a pty',
      hardware: false,
      make: async () => {
        const pty: PtyPair = await ptyPair();
        const emulator = new EmulatedBoard({
          code: await bundleFor({ transport: 'serial', boardId: 'hil-gw' }),
          serial: await PtySerial.open(pty.a),
          ...EMULATED_INPUTS,
        }).start();
        const board = serialFactory({ clock: realClock, options }).create({
          id: 'hil-gw',
          address: new URL(`serial://${pty.b}?baud=115200`),
          hardware,
        });
        return {
          board,
          emulator,
          close: async () => void (await emulator.stop(), await pty.close()),
        };
      },
    });
  benches.push({
    name: 'MQTT transport, emulated ESP32 on the embedded broker',
    hardware: false,
    mqtt: true,
    make: async () => {
      const secret = `s-${Math.random().toString(36).slice(2)}`;
      const broker = await startEmbeddedBroker({
        host: '127.0.0.1',
        port: 0,
        boards: [{ id: 'hil-gw', secret }],
        logger: nullLogger,
      });
      const emulator = new EmulatedBoard({
        code: await bundleFor({
          transport: 'mqtt',
          boardId: 'hil-gw',
          mqttHost: '127.0.0.1',
          mqttPort: broker.port,
          secret,
        }),
        ...EMULATED_INPUTS,
      }).start();
      const board = mqttFactory({ clock: realClock, bus: () => broker.bus, options }).create({
        id: 'hil-gw',
        address: new URL('mqtt://hil-gw'),
        secret,
        hardware,
      });
      // the board joins the broker on its own; connect() once it is there (bounded)
      const until = Date.now() + 10_000;
      while (Date.now() < until && !broker.bus.isOnline('hil-gw')) await sleep(50);
      return {
        board,
        emulator,
        close: async () => void (await emulator.stop(), await broker.close()),
      };
    },
  });
}

describe.each(benches)('HIL via the gateway: $name', (bench) => {
  let env: Awaited<ReturnType<Bench['make']>>;
  let emulator: EmulatedBoard | undefined;
  let board: Board;
  const batches: StreamBatch[] = [];
  const gaps: BoardGap[] = [];
  const statuses: BoardStatus[] = [];
  const tolerance = bench.hardware ? 250 : 1;

  beforeAll(async () => {
    env = await bench.make();
    board = env.board;
    emulator = env.emulator;
    board.on('batch', (b) => batches.push(b));
    board.on('gap', (g) => gaps.push(g));
    board.on('status', (s) => statuses.push(s));
  }, 30_000);

  afterAll(async () => {
    await board?.close();
    if (emulator) expect(emulator.errors.map(String)).toEqual([]);
    await env?.close();
  });

  it('connects: identity from the firmware, with the fixture readers accepted', async () => {
    const id = await board.connect();
    expect(id).toMatchObject({ protocol: 1, firmware: '0.1.0', capabilities: { streamed: true } });
    expect(id.capabilities.maxHz).toBeGreaterThanOrEqual(100);
    expect(id.capabilities.analogs).toEqual(expect.arrayContaining(['A1', 'A2']));
    expect(id.capabilities.pins).toEqual(expect.arrayContaining(['27', '26']));
  });

  it('polled reads give the fixture values with the voltage range', async () => {
    const a = (await board.read('Analogs', ['A1', 'A2'], { timeoutMs: 1000 })) as Record<
      string,
      AnalogValue
    >;
    expect(Math.abs((a.A1 as AnalogValue).value - FIXTURE.expectRaw.A1)).toBeLessThanOrEqual(
      tolerance,
    );
    expect(Math.abs((a.A2 as AnalogValue).value - FIXTURE.expectRaw.A2)).toBeLessThanOrEqual(
      tolerance,
    );
    expect(a.A1).toMatchObject({ min_range: 0, max_range: 3.3, step_size: 0.000806 });
    const g = (await board.read('Gpio', ['27', '26'], { timeoutMs: 1000 })) as Record<
      string,
      GpioValue
    >;
    expect(g).toEqual({ '27': { high: true }, '26': { high: false } });
  });

  it('streams 50 Hz: samples 20 ms apart, mapped to gateway time, in sequence', async () => {
    batches.length = 0;
    const t0 = Date.now();
    await board.configure([
      { key: 'hil/A', method: 'Analogs', readers: ['A1'], hz: 50, mode: 'streamed' },
    ]);
    const count = () =>
      batches.filter((b) => b.key === 'hil/A').reduce((n, b) => n + b.samples.length, 0);
    await waitFor(() => count() >= 90, 30_000, '90 streamed samples');
    const got = batches.filter((b) => b.key === 'hil/A');
    const samples = got.flatMap((b) => b.samples);
    // never more than 50 Hz allows since configure()
    expect(samples.length).toBeLessThanOrEqual((Date.now() - t0) / 20 + 2);
    for (let i = 1; i < samples.length; i++) {
      const d = (samples[i]?.timeRequested as number) - (samples[i - 1]?.timeRequested as number);
      // 20 ms (a whole multiple after a missed tick), give or take the clock mapping's drift updates
      expect(d).toBeGreaterThan(15);
      expect(Math.abs(d - 20 * Math.round(d / 20))).toBeLessThan(5);
    }
    for (const s of samples) {
      expect(
        Math.abs(
          ((s.data as Record<string, AnalogValue>).A1 as AnalogValue).value - FIXTURE.expectRaw.A1,
        ),
      ).toBeLessThanOrEqual(tolerance);
      // mapped board time is gateway truth: sampled before it was received, by less than a batch or two
      expect(s.timeReceived - s.timeRequested).toBeGreaterThan(-5);
      expect(s.timeReceived - s.timeRequested).toBeLessThan(400);
    }
    for (let i = 1; i < got.length; i++)
      expect((got[i] as StreamBatch).seq).toBe((got[i - 1] as StreamBatch).seq + 1);
  }, 15_000);

  it.skipIf(bench.hardware)(
    'board reboot (emulated power cycle): the gateway notices and streaming resumes',
    async () => {
      gaps.length = 0;
      statuses.length = 0;
      emulator?.reboot();
      const deadline = Date.now() + 12_000;
      if (bench.mqtt) {
        // on MQTT a reboot drops the board's broker connection first: the gateway sees offline, then
        // the rebooted board back online; the capture engine re-sends the plan on every reconnect
        while (
          Date.now() < deadline &&
          !(statuses.some((st) => st.state === 'offline') && board.state === 'online')
        )
          await sleep(50);
        expect(statuses.map((st) => st.state)).toContain('offline');
        expect(board.state).toBe('online');
        await board.configure([
          { key: 'hil/A', method: 'Analogs', readers: ['A1'], hz: 50, mode: 'streamed' },
        ]);
      } else {
        // on serial the line stays up: the unsolicited hi (or the clock stepping back) is a reboot,
        // and the transport re-sends cfg and plan by itself
        while (Date.now() < deadline && !gaps.some((g) => g.reason === 'board_reboot'))
          await sleep(50);
        expect(gaps.some((g) => g.reason === 'board_reboot')).toBe(true);
      }
      const mark = batches.length;
      const streaming = Date.now() + 10_000;
      while (
        Date.now() < streaming &&
        batches.slice(mark).filter((b) => b.key === 'hil/A').length <= 3
      )
        await sleep(50);
      expect(batches.slice(mark).filter((b) => b.key === 'hil/A').length).toBeGreaterThan(3);
    },
    40_000, // bounded waits inside; generous for a loaded machine
  );

  it.skipIf(bench.hardware)(
    'link pulled for 3 s: the board goes offline, comes back online and streams again',
    async () => {
      statuses.length = 0;
      emulator?.pullLink();
      await sleep(3000); // deliberate: the outage
      emulator?.restoreLink();
      const deadline = Date.now() + 10_000;
      while (
        Date.now() < deadline &&
        !(statuses.some((s) => s.state === 'offline') && board.state === 'online')
      )
        await sleep(50);
      expect(statuses.map((s) => s.state)).toContain('offline');
      expect(board.state).toBe('online');
      const mark = batches.length;
      const streaming = Date.now() + 10_000;
      while (Date.now() < streaming && batches.slice(mark).length <= 3) await sleep(50);
      expect(batches.slice(mark).length).toBeGreaterThan(3);
    },
    40_000, // bounded waits inside; generous for a loaded machine
  );
});
