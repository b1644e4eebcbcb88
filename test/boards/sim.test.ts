import { describe, expect, it } from 'vitest';
import { boardContractSuite } from './board-contract.js';
import { SimBoard } from '../../src/boards/sim.js';
import { parseSimAddress } from '../../src/boards/sim-options.js';
import { defaultRegistry } from '../../src/boards/all-transports.js';
import { FakeClock, realClock } from '../../src/shared/clock.js';
import { isWharfError } from '../../src/shared/errors.js';
import { nullLogger } from '../../src/shared/logger.js';
import type { BoardGap, StreamBatch } from '../../src/boards/board.js';
import type { AnalogValue, GpioValue } from '../../src/shared/record.js';
import { ESP32_HARDWARE as hardware } from './helpers/hardware.js';

boardContractSuite('sim', async () => {
  const board = new SimBoard(
    { id: 'contract-sim', address: 'sim://contract-sim?wave=sine&latency=1', hardware },
    realClock,
  );
  return {
    board,
    analogs: ['A1', 'A2'],
    pins: ['27'],
    fullScale: 4095,
    setAnalog: (r, v) => board.sim.hardware.setAnalog(r, v),
    setPin: (p, v) => board.sim.hardware.setPin(p, v),
    breakLink: async () => board.sim.dropLink('contract: link broken'),
    restoreLink: async () => board.sim.restoreLink(),
    cleanup: async () => undefined,
  };
});

/** Let promise callbacks run between fake-clock steps. */
const ticks = () => new Promise<void>((r) => setImmediate(r));

async function settle<T>(
  clock: FakeClock,
  p: Promise<T>,
  stepMs = 1,
  maxSteps = 10_000,
): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  let failed = false;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e) => {
      done = true;
      failed = true;
      error = e;
    },
  );
  for (let i = 0; i < maxSteps && !done; i++) {
    await ticks();
    if (!done) clock.advance(stepMs);
  }
  await ticks();
  if (!done) throw new Error('promise did not settle');
  if (failed) throw error;
  return value as T;
}

describe('sim address', () => {
  it('parses every option and rejects bad ones with what to write', () => {
    const o = parseSimAddress(
      'sim://line1?wave=square&period=500&latency=3&fail=0.25&disconnect=1000&down=50&seed=42&maxhz=200&stream=0&bms=20',
    );
    expect(o).toMatchObject({
      name: 'line1',
      wave: 'square',
      periodMs: 500,
      latencyMs: 3,
      failRate: 0.25,
      disconnectEveryMs: 1000,
      downMs: 50,
      seed: 42,
      maxHz: 200,
      streamed: false,
      batchMs: 20,
    });
    expect(() => parseSimAddress('sim://x?wave=triangle')).toThrow(
      /wave=triangle is not one of sine, square, saw, noise/,
    );
    expect(() => parseSimAddress('sim://x?fail=2')).toThrow(/fail=2 must be a number in \[0, 1\]/);
    expect(() => parseSimAddress('sim://x?colour=red')).toThrow(/unknown option 'colour'/);
    expect(() => parseSimAddress('serial:///dev/ttyUSB0')).toThrow(/not a sim address/);
  });

  it('the registry creates sim boards and names the schemes it has for an unknown one', () => {
    const reg = defaultRegistry({ clock: new FakeClock(), logger: nullLogger });
    const b = reg.create({
      id: 'b1',
      address: 'sim://b1',
      transport: 'sim',
      components: [{ name: 'my-esp32', type: 'board', hardware }],
    });
    expect(b).toBeInstanceOf(SimBoard);
    try {
      reg.create({ id: 'b2', address: 'lora://b2', transport: 'lora', components: [] });
      throw new Error('expected BOARD_UNSUPPORTED');
    } catch (err) {
      expect(isWharfError(err, 'BOARD_UNSUPPORTED')).toBe(true);
      expect((err as Error).message).toMatch(/no transport for 'lora:\/\/'.*available: .*sim:\/\//);
    }
  });
});

describe('sim board (fake clock)', () => {
  it('square wave and toggling GPIO follow the period', async () => {
    const clock = new FakeClock(0);
    const b = new SimBoard(
      { id: 's', address: 'sim://s?wave=square&period=1000&seed=1', hardware },
      clock,
    );
    await settle(clock, b.connect());
    const seen = new Set<number>();
    const pins = new Set<boolean>();
    for (let i = 0; i < 20; i++) {
      const d = await settle(clock, b.read('Analogs', ['A1'], { timeoutMs: 100 }));
      seen.add((d as Record<string, AnalogValue>).A1!.value);
      pins.add(
        (
          (await settle(clock, b.read('Gpio', ['27'], { timeoutMs: 100 }))) as Record<
            string,
            GpioValue
          >
        )['27']!.high,
      );
      clock.advance(100);
    }
    expect([...seen].sort((x, y) => x - y)).toEqual([0, 4095]);
    expect(pins).toEqual(new Set([true, false]));
  });

  it('is deterministic for a seed: same failures and same noise', async () => {
    async function run(seed: number) {
      const clock = new FakeClock(0);
      const b = new SimBoard(
        { id: 'd', address: `sim://d?wave=noise&fail=0.3&seed=${seed}`, hardware },
        clock,
      );
      await settle(clock, b.connect());
      const out: string[] = [];
      for (let i = 0; i < 40; i++) {
        try {
          const d = (await settle(
            clock,
            b.read('Analogs', ['A1', 'A2'], { timeoutMs: 100 }),
          )) as Record<string, AnalogValue>;
          out.push(`${d.A1!.value}/${d.A2!.value}`);
        } catch (err) {
          expect(isWharfError(err, 'BOARD_PROTOCOL')).toBe(true);
          out.push('fail');
        }
        clock.advance(10);
      }
      return out;
    }
    const a = await run(7);
    expect(await run(7)).toEqual(a);
    expect(await run(8)).not.toEqual(a);
    const fails = a.filter((x) => x === 'fail').length;
    expect(fails).toBeGreaterThan(3);
    expect(fails).toBeLessThan(25);
  });

  it('latency delays answers; latency beyond the timeout rejects with BOARD_TIMEOUT at the timeout', async () => {
    const clock = new FakeClock(0);
    const b = new SimBoard({ id: 'l', address: 'sim://l?latency=30', hardware }, clock);
    await settle(clock, b.connect());
    const t0 = clock.now();
    await settle(clock, b.read('Gpio', ['27'], { timeoutMs: 100 }));
    expect(clock.now() - t0).toBeGreaterThanOrEqual(30);
    expect(clock.now() - t0).toBeLessThan(33);
    const t1 = clock.now();
    const err = await settle(clock, b.read('Gpio', ['27'], { timeoutMs: 20 })).catch(
      (e: unknown) => e,
    );
    expect(isWharfError(err, 'BOARD_TIMEOUT')).toBe(true);
    expect(clock.now() - t1).toBeGreaterThanOrEqual(20);
    expect(clock.now() - t1).toBeLessThan(23);
  });

  it('disconnects on its schedule, refuses connect() while down, and connects again after', async () => {
    const clock = new FakeClock(0);
    const b = new SimBoard(
      { id: 'x', address: 'sim://x?disconnect=1000&down=500&seed=3', hardware },
      clock,
    );
    const states: string[] = [];
    b.on('status', (s) => states.push(s.state));
    await settle(clock, b.connect());
    clock.advance(1600); // drop happens within [500, 1500) ms
    expect(b.state).toBe('offline');
    const err = await b.connect().catch((e: unknown) => e);
    expect(isWharfError(err, 'BOARD_DISCONNECTED')).toBe(true);
    clock.advance(500);
    await settle(clock, b.connect());
    expect(b.state).toBe('online');
    expect(states).toEqual(['connecting', 'online', 'offline', 'connecting', 'online']);
    await b.close();
  });

  it('streams batches on the absolute grid; lost batches are skipped sequence numbers', async () => {
    const clock = new FakeClock(0);
    const b = new SimBoard(
      { id: 'st', address: 'sim://st?fail=0.2&seed=5&bms=100', hardware },
      clock,
    );
    const batches: StreamBatch[] = [];
    b.on('batch', (x) => batches.push(x));
    await settle(clock, b.connect());
    const start = clock.now();
    await b.configure([
      { key: 'k', method: 'Analogs', readers: ['A1'], hz: 200, mode: 'streamed' },
    ]);
    clock.advance(10_000);
    const samples = batches.flatMap((x) => x.samples);
    const lost = b.sim.counts.lostBatches;
    expect(lost).toBeGreaterThan(5);
    // Every sample index 0..2000 was either delivered or in a lost batch (seq accounts for it).
    const seqs = batches.map((x) => x.seq);
    let skipped = seqs[0]!;
    for (let i = 1; i < seqs.length; i++) skipped += seqs[i]! - seqs[i - 1]! - 1;
    expect(skipped).toBeLessThanOrEqual(lost); // lost batches after the last delivered one are not visible yet
    expect(skipped).toBeGreaterThanOrEqual(lost - 3);
    for (const s of samples) expect(((s.timeRequested - start) / 5) % 1).toBeCloseTo(0, 6);
    expect(samples.length).toBeLessThan(2001);
    expect(samples.length + lost * 20).toBe(2001);
  });

  it('keeps an unchanged stream sampling across configure() (sequence restarts, no hole in time)', async () => {
    const clock = new FakeClock(0);
    const b = new SimBoard({ id: 'c', address: 'sim://c', hardware }, clock);
    const batches: StreamBatch[] = [];
    b.on('batch', (x) => batches.push(x));
    await settle(clock, b.connect());
    const e = {
      key: 'k',
      method: 'Analogs' as const,
      readers: ['A1'],
      hz: 100,
      mode: 'streamed' as const,
    };
    await b.configure([e]);
    clock.advance(1050);
    await b.configure([e, { key: 'g', method: 'Gpio', readers: ['27'], hz: 10, mode: 'streamed' }]);
    clock.advance(1000);
    const k = batches.filter((x) => x.key === 'k');
    const times = k.flatMap((x) => x.samples.map((s) => s.timeRequested));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeCloseTo(10, 6);
    expect(k.map((x) => x.seq)).toContain(0);
    expect(k.filter((x) => x.seq === 0)).toHaveLength(2);
    expect(batches.some((x) => x.key === 'g')).toBe(true);
  });

  it('reports a backlog overflow as a gap event after a long stall', async () => {
    const clock = new FakeClock(0);
    const b = new SimBoard({ id: 'o', address: 'sim://o', hardware }, clock);
    const gaps: BoardGap[] = [];
    b.on('gap', (g) => gaps.push(g));
    await settle(clock, b.connect());
    await b.configure([{ key: 'k', method: 'Gpio', readers: ['27'], hz: 1000, mode: 'streamed' }]);
    clock.stall(60_000);
    clock.advance(0);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ key: 'k', reason: 'backlog_overflow', count: 60_001 - 5_000 });
  });

  it('refuses what it cannot do: streaming with stream=0, rates above maxhz, unknown pins', async () => {
    const clock = new FakeClock(0);
    const b = new SimBoard({ id: 'n', address: 'sim://n?stream=0&maxhz=50', hardware }, clock);
    const id = await settle(clock, b.connect());
    expect(id.capabilities).toEqual({
      analogs: ['A1', 'A2'],
      pins: ['27'],
      maxHz: 50,
      streamed: false,
    });
    const e1 = await b
      .configure([{ key: 'k', method: 'Analogs', readers: ['A1'], hz: 10, mode: 'streamed' }])
      .catch((e: unknown) => e);
    expect(isWharfError(e1, 'BOARD_UNSUPPORTED')).toBe(true);
    const e2 = await b
      .configure([{ key: 'k', method: 'Analogs', readers: ['A1'], hz: 100, mode: 'polled' }])
      .catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/exceeds the board's maximum 50 Hz/);
    const e3 = await b.read('Gpio', ['99'], { timeoutMs: 10 }).catch((e: unknown) => e);
    expect((e3 as Error).message).toMatch(/no GPIO pin '99' \(has: 27\)/);
  });
});
