/**
 * HIL through the real gateway transport: the gateway's serial Board (src/boards/serial, the
 * protocol engine) against the firmware bundle on an emulated ESP32 over a real pty, or against a
 * real board when WHARF_HIL_PORT is set. Board-contract level: connect, read, stream, reboot,
 * link pulled and restored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/shared/clock.js';
import { serialFactory } from '../src/boards/serial/serial-board.js';
import type { Board, BoardGap, BoardStatus, StreamBatch } from '../src/boards/board.js';
import type { AnalogValue, GpioValue } from '../src/shared/record.js';
import { requireTool } from '../test/helpers/system-tool.js';
import { ptyPair, type PtyPair } from './bench/pty.js';
import { EmulatedBoard } from './emulator/board.js';
import { bundleFor } from './emulator/bundle.js';
import { PtySerial } from './emulator/serial-binding.js';
import { EMULATED_INPUTS, FIXTURE } from './targets.js';

const hwPort = process.env.WHARF_HIL_PORT;
const hasSocat = hwPort !== undefined || requireTool('socat', 'the gateway-transport HIL wires an emulated board to a real pty pair');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hardware = {
  analogs: FIXTURE.cfg.a.map(([name, pin]) => ({ name: name as string, pin: pin as string })),
  pins: [...FIXTURE.cfg.p],
};

describe.skipIf(!hasSocat)(`HIL via the gateway serial transport: ${hwPort ? `real board on ${hwPort}` : 'emulated ESP32 on a pty'}`, () => {
  let pty: PtyPair | undefined;
  let emulator: EmulatedBoard | undefined;
  let board: Board;
  const batches: StreamBatch[] = [];
  const gaps: BoardGap[] = [];
  const statuses: BoardStatus[] = [];
  const tolerance = hwPort ? 250 : 1;

  beforeAll(async () => {
    let path = hwPort;
    if (!path) {
      pty = await ptyPair();
      emulator = new EmulatedBoard({ code: await bundleFor({ transport: 'serial', boardId: 'hil-gw' }), serial: await PtySerial.open(pty.a), ...EMULATED_INPUTS }).start();
      path = pty.b;
    }
    const factory = serialFactory({ clock: realClock, options: { pingIntervalMs: 300, maxMissedPings: 3, requestTimeoutMs: 1000 } });
    board = factory.create({ id: 'hil-gw', address: new URL(`serial://${path}?baud=${process.env.WHARF_HIL_BAUD ?? 115200}`), hardware });
    board.on('batch', (b) => batches.push(b));
    board.on('gap', (g) => gaps.push(g));
    board.on('status', (s) => statuses.push(s));
  }, 30_000);

  afterAll(async () => {
    await board?.close();
    if (emulator) expect(emulator.errors.map(String)).toEqual([]);
    await emulator?.stop();
    await pty?.close();
  });

  it('connects: identity from the firmware, with the fixture readers accepted', async () => {
    const id = await board.connect();
    expect(id).toMatchObject({ protocol: 1, firmware: '0.1.0', capabilities: { streamed: true } });
    expect(id.capabilities.maxHz).toBeGreaterThanOrEqual(100);
    expect(id.capabilities.analogs).toEqual(expect.arrayContaining(['A1', 'A2']));
    expect(id.capabilities.pins).toEqual(expect.arrayContaining(['27', '26']));
  });

  it('polled reads give the fixture values with the voltage range', async () => {
    const a = (await board.read('Analogs', ['A1', 'A2'], { timeoutMs: 1000 })) as Record<string, AnalogValue>;
    expect(Math.abs((a.A1 as AnalogValue).value - FIXTURE.expectRaw.A1)).toBeLessThanOrEqual(tolerance);
    expect(Math.abs((a.A2 as AnalogValue).value - FIXTURE.expectRaw.A2)).toBeLessThanOrEqual(tolerance);
    expect(a.A1).toMatchObject({ min_range: 0, max_range: 3.3, step_size: 0.000806 });
    const g = (await board.read('Gpio', ['27', '26'], { timeoutMs: 1000 })) as Record<string, GpioValue>;
    expect(g).toEqual({ '27': { high: true }, '26': { high: false } });
  });

  it('streams 50 Hz: samples 20 ms apart, mapped to gateway time, in sequence', async () => {
    batches.length = 0;
    await board.configure([{ key: 'hil/A', method: 'Analogs', readers: ['A1'], hz: 50, mode: 'streamed' }]);
    await sleep(2000);
    const got = batches.filter((b) => b.key === 'hil/A');
    const samples = got.flatMap((b) => b.samples);
    expect(samples.length).toBeGreaterThanOrEqual(85);
    for (let i = 1; i < samples.length; i++) {
      const d = (samples[i]?.timeRequested as number) - (samples[i - 1]?.timeRequested as number);
      // 20 ms (a whole multiple after a missed tick), give or take the clock mapping's drift updates
      expect(d).toBeGreaterThan(15);
      expect(Math.abs(d - 20 * Math.round(d / 20))).toBeLessThan(5);
    }
    for (const s of samples) {
      expect(Math.abs(((s.data as Record<string, AnalogValue>).A1 as AnalogValue).value - FIXTURE.expectRaw.A1)).toBeLessThanOrEqual(tolerance);
      // mapped board time is gateway truth: sampled before it was received, by less than a batch or two
      expect(s.timeReceived - s.timeRequested).toBeGreaterThan(-5);
      expect(s.timeReceived - s.timeRequested).toBeLessThan(400);
    }
    for (let i = 1; i < got.length; i++) expect((got[i] as StreamBatch).seq).toBe((got[i - 1] as StreamBatch).seq + 1);
  }, 15_000);

  it.skipIf(hwPort !== undefined)('board reboot (emulated power cycle): a board_reboot gap, then streaming resumes without help', async () => {
    gaps.length = 0;
    emulator?.reboot();
    const deadline = Date.now() + 8000;
    while (Date.now() < deadline && !gaps.some((g) => g.reason === 'board_reboot')) await sleep(50);
    expect(gaps.some((g) => g.reason === 'board_reboot')).toBe(true);
    const mark = batches.length;
    await sleep(1500);
    expect(batches.slice(mark).filter((b) => b.key === 'hil/A').length).toBeGreaterThan(3);
  }, 15_000);

  it.skipIf(hwPort !== undefined)('link pulled for 3 s: the board goes offline, comes back online and streams again', async () => {
    statuses.length = 0;
    emulator?.pullLink();
    await sleep(3000);
    emulator?.restoreLink();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(statuses.some((s) => s.state === 'offline') && board.state === 'online')) await sleep(50);
    expect(statuses.map((s) => s.state)).toContain('offline');
    expect(board.state).toBe('online');
    const mark = batches.length;
    await sleep(1000);
    expect(batches.slice(mark).length).toBeGreaterThan(3);
  }, 20_000);
});
