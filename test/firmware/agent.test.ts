/**
 * The compiled firmware bundle (built by firmware/tools/build.ts, run in the Espruino emulator) in
 * virtual time over an in-memory serial wire: protocol v1 behaviour, exact schedules, losses.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { constant, expectedRaw, ramp, square } from '../../src/emulator/signals.js';
import type { Frame } from '../../hil/driver/links.js';
import { virtualBoard, type VirtualBoard } from './virtual-board.js';

type Batch = Frame & { k: string; s: number; t0: number; dt: number; v: number[][] };

const FIXTURE = {
  analog: {
    D34: constant(1.65),
    D35: ramp({ from: 0, to: 3.3, periodMs: 1000 }),
    D33: constant(1.1),
  },
  gpio: { D27: constant(1), D26: constant(0), D25: square({ periodMs: 100 }) },
};

let vb: VirtualBoard | undefined;
afterEach(async () => {
  if (vb) expect(vb.board.errors).toEqual([]);
  await vb?.board.stop();
  vb = undefined;
});

async function configured(
  extra: Parameters<typeof virtualBoard>[0] = {},
  settings = {},
): Promise<VirtualBoard> {
  vb = await virtualBoard({ ...FIXTURE, ...extra }, settings);
  const ok = vb.ask({
    t: 'cfg',
    a: [
      ['A1', '34'],
      ['A2', '35'],
    ],
    p: ['27', '26', '25'],
  });
  expect(ok.t).toBe('ok');
  return vb;
}

/** Ramp value at board time t (0 → 3.3 V over 1 s), as the firmware must report it. */
const rampRaw = (t: number) => expectedRaw(((t % 1000) / 1000) * 3.3);

function expectContiguous(batches: Batch[]): void {
  for (let i = 1; i < batches.length; i++) {
    const a = batches[i - 1] as Batch;
    const b = batches[i] as Batch;
    expect(b.s).toBe(a.s + 1);
    expect(b.t0).toBeCloseTo(a.t0 + a.v.length * a.dt, 2);
  }
}

describe('firmware agent (compiled bundle, emulator, virtual time)', () => {
  it('announces itself at boot despite the REPL banner, answers hello, and moves the console off Serial1', async () => {
    vb = await virtualBoard(FIXTURE, { boardId: 'esp-hello' });
    expect(vb.board.consoleOn).toBe('LoopbackA');
    expect(vb.link.noise).toBeGreaterThan(0); // the banner lines were skipped, not fatal
    const boot = vb.frames.find((f) => f.t === 'hi');
    expect(boot).toMatchObject({
      t: 'hi',
      v: 1,
      bid: 'esp-hello',
      fw: '0.1.0',
      caps: { hz: 200, st: 1 },
    });
    expect(boot?.id).toBeUndefined();
    const hi = vb.ask({ t: 'hello', v: 1 });
    expect(hi).toMatchObject({ t: 'hi', v: 1, bid: 'esp-hello' });
    expect(hi.clk).toBeGreaterThan(0);
  });

  it('cfg converts to raw 12-bit counts, reports the voltage range per attenuation, and refuses pins without ADC', async () => {
    vb = await virtualBoard(FIXTURE);
    const ok = vb.ask({
      t: 'cfg',
      a: [
        ['A1', '34'],
        ['A6', '33', 6],
        ['bad', '12'],
      ],
      p: ['27', 'D26', '99'],
    });
    expect(ok).toMatchObject({
      t: 'ok',
      a: [
        ['A1', 0, 3.3, 0.000806],
        ['A6', 0, 2.2, 0.000537],
      ],
      p: ['27', 'D26'],
      x: [
        ['bad', 'unknown_pin'],
        ['99', 'unknown_pin'],
      ],
    });
    expect(vb.ask({ t: 'read', m: 'A', r: ['A1', 'A6'] })).toMatchObject({
      t: 'val',
      v: [2048, 2048],
    });
    expect(vb.ask({ t: 'read', m: 'G', r: ['27', 'D26'] })).toMatchObject({ t: 'val', v: [1, 0] });
    expect(vb.ask({ t: 'read', m: 'A', r: ['bad'] })).toMatchObject({
      t: 'err',
      code: 'unknown_reader',
    });
  });

  it('cfg accepts a noisy ADC pin (every read differs) and a toggling GPIO pin', async () => {
    let n = 0;
    let m = 0;
    vb = await virtualBoard({
      analog: { D34: () => (n++ % 2 ? 1.0 : 1.1) },
      gpio: { D27: () => m++ % 2 },
    });
    const ok = vb.ask({ t: 'cfg', a: [['A1', '34']], p: ['27'] });
    expect(ok).toMatchObject({ t: 'ok', a: [['A1', 0, 3.3, 0.000806]], p: ['27'] });
    expect(ok.x).toBeUndefined();
  });

  it('streams 100 Hz for 10 s as 1000 samples on an absolute schedule, in contiguous batches with the fixture values', async () => {
    await configured();
    const v = vb as VirtualBoard;
    const from = v.frames.length;
    expect(
      v.ask({
        t: 'plan',
        e: [
          { k: 'a', m: 'A', r: ['A1', 'A2'], hz: 100 },
          { k: 'g', m: 'G', r: ['27', '26', '25'], hz: 20 },
        ],
        bms: 100,
      }),
    ).toMatchObject({ t: 'ok' });
    v.clock.advance(10_000);
    const a = v.since(from, 'b').filter((f) => f.k === 'a') as Batch[];
    expect(a[0]?.s).toBe(0);
    expectContiguous(a);
    const start = (a[0] as Batch).t0;
    const samples = a.flatMap((b) => b.v.map((val, i) => ({ t: b.t0 + i * b.dt, val })));
    const inTenSeconds = samples.filter((x) => x.t < start + 10_000);
    expect(inTenSeconds.length).toBe(1000);
    for (const x of samples) {
      expect(x.val[0]).toBe(2048);
      expect(Math.abs((x.val[1] as number) - rampRaw(x.t))).toBeLessThanOrEqual(1);
    }
    expect(a.every((b) => b.dt === 10 && b.v.length === 10)).toBe(true);
    const g = v.since(from, 'b').filter((f) => f.k === 'g') as Batch[];
    expectContiguous(g);
    for (const b of g)
      b.v.forEach((val, i) =>
        expect(val).toEqual([1, 0, square({ periodMs: 100 })(b.t0 + i * b.dt)]),
      );
    expect(v.since(from, 'gap')).toEqual([]);
  });

  it('a stalled event loop becomes one missed_ticks gap and the schedule stays on its grid (no catch-up burst)', async () => {
    await configured();
    const v = vb as VirtualBoard;
    const from = v.frames.length;
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A1'], hz: 100 }], bms: 100 });
    v.clock.advance(500);
    v.clock.stall(255);
    v.clock.advance(1000);
    const gaps = v.since(from, 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ k: 'a', why: 'missed_ticks' });
    const a = v.since(from, 'b') as Batch[];
    const start = (a[0] as Batch).t0;
    for (const b of a) expect((b.t0 - start) % 10).toBeCloseTo(0, 6);
    const got = a.reduce((n, b) => n + b.v.length, 0) + (gaps[0]?.n as number);
    const last = a[a.length - 1] as Batch;
    expect(got).toBe(Math.round((last.t0 + (last.v.length - 1) * 10 - start) / 10) + 1);
  });

  it('a failed analog read is a read_error gap covering exactly the failed samples, never a value', async () => {
    const flaky = (t: number) => (t >= 300 && t < 400 ? NaN : 1.65);
    await configured({ analog: { ...FIXTURE.analog, D34: flaky } });
    const v = vb as VirtualBoard;
    const from = v.frames.length;
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A1'], hz: 100 }], bms: 100 });
    v.clock.advance(1000);
    const gaps = v.since(from, 'gap');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ k: 'a', why: 'read_error', n: 10 });
    const a = v.since(from, 'b') as Batch[];
    for (const b of a)
      b.v.forEach((val, i) => {
        const t = b.t0 + i * b.dt;
        expect(t < 300 || t >= 400).toBe(true);
        expect(val).toEqual([2048]);
      });
  });

  it('a new plan restarts sequence numbers; a bad plan is refused and the running plan continues', async () => {
    await configured();
    const v = vb as VirtualBoard;
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A1'], hz: 50 }] });
    v.clock.advance(500);
    expect(v.ask({ t: 'plan', e: [{ k: 'x', m: 'A', r: ['nope'], hz: 50 }] })).toMatchObject({
      t: 'err',
      code: 'unknown_reader',
    });
    expect(v.ask({ t: 'plan', e: [{ k: 'x', m: 'A', r: ['A1'], hz: 5000 }] })).toMatchObject({
      t: 'err',
      code: 'rate',
    });
    expect(v.ask({ t: 'plan', e: 'x' })).toMatchObject({ t: 'err', code: 'bad_request' });
    const mark = v.frames.length;
    v.clock.advance(300);
    expect(v.since(mark, 'b').length).toBeGreaterThan(0);
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A1'], hz: 50 }] });
    const again = v.frames.length;
    v.clock.advance(300);
    expect((v.since(again, 'b')[0] as Batch).s).toBe(0);
    v.ask({ t: 'plan', e: [] });
    const stopped = v.frames.length;
    v.clock.advance(500);
    expect(v.since(stopped, 'b')).toEqual([]);
  });

  it('a repeated cfg (gateway reconnect) keeps the running plan and its sequence; a cfg without its readers stops it', async () => {
    await configured();
    const v = vb as VirtualBoard;
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A1'], hz: 50 }] });
    v.clock.advance(500);
    const before = v.since(0, 'b') as Batch[];
    v.ask({
      t: 'cfg',
      a: [
        ['A1', '34'],
        ['A2', '35'],
      ],
      p: ['27', '26', '25'],
    });
    v.clock.advance(500);
    const all = v.since(0, 'b') as Batch[];
    expect(all.length).toBeGreaterThan(before.length);
    expectContiguous(all);
    v.ask({ t: 'cfg', a: [['A2', '35']] });
    const mark = v.frames.length;
    v.clock.advance(500);
    expect(v.since(mark, 'b')).toEqual([]);
  });

  it('reassembles frames split into chunks and skips garbage and over-long lines', async () => {
    await configured();
    const v = vb as VirtualBoard;
    v.link.sendRaw('garbage from a reset\n{"t":"pi');
    v.link.sendRaw('ng","id":7,"g":1764000000000.5}\r\n');
    v.link.sendRaw(`{"t":"ping","id":8,"g":1,"pad":"${'x'.repeat(1500)}"}\n`);
    v.link.sendRaw('{"t":"ping","id":9,"g":2}\n');
    v.clock.advance(5);
    expect(v.frames.find((f) => f.id === 7)).toMatchObject({ t: 'pong', g: 1764000000000.5 });
    expect(v.frames.find((f) => f.id === 8)).toBeUndefined();
    expect(v.frames.find((f) => f.id === 9)).toMatchObject({ t: 'pong', g: 2 });
  });

  it('a pulled serial link (silent for lt/3 ms) keeps batches and delivers them oldest-first, without loss, once the gateway is heard again', async () => {
    await configured();
    const v = vb as VirtualBoard;
    v.ask({ t: 'hello', v: 1, lt: 900 });
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A2'], hz: 50 }], bms: 100 });
    for (let i = 0; i < 5; i++) {
      v.clock.advance(200);
      v.ask({ t: 'ping', g: i });
    }
    v.board.pullLink();
    v.clock.advance(3000);
    v.board.restoreLink();
    const back = v.frames.length;
    const pong = v.ask({ t: 'ping', g: 99 });
    v.clock.advance(2000);
    // the pong waited behind the backlog: the gateway never sees the clock ahead of older batches
    const pongAt = v.frames.indexOf(pong);
    const backlog = (v.since(back, 'b') as Batch[]).filter(
      (b) => b.t0 + (b.v.length - 1) * b.dt < (pong.clk as number),
    );
    expect(backlog.length).toBeGreaterThan(10);
    for (const b of backlog) expect(v.frames.indexOf(b)).toBeLessThan(pongAt);
    const all = v.frames.filter((f) => f.t === 'b') as Batch[];
    // duplicates of batches re-sent after the timeout are expected; the gateway drops them by s
    const seen = new Map<number, Batch>();
    for (const b of all) if (!seen.has(b.s)) seen.set(b.s, b);
    const unique = [...seen.values()].sort((x, y) => x.s - y.s);
    expectContiguous(unique);
    expect(v.since(0, 'gap')).toEqual([]);
    const after = v.since(back, 'b') as Batch[];
    for (let i = 1; i < after.length; i++)
      expect((after[i] as Batch).s).toBeGreaterThan((after[i - 1] as Batch).s);
    for (const b of unique)
      b.v.forEach((val, i) =>
        expect(Math.abs((val[0] as number) - rampRaw(b.t0 + i * b.dt))).toBeLessThanOrEqual(1),
      );
  });

  it('a short pull (under lt, over lt/3): the frames written into the dead link and during it all arrive', async () => {
    await configured();
    const v = vb as VirtualBoard;
    v.ask({ t: 'hello', v: 1, lt: 3000 }); // the gateway promises a frame at least every second
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A2'], hz: 50 }], bms: 100 });
    for (let i = 0; i < 3; i++) {
      v.clock.advance(500);
      v.ask({ t: 'ping', g: i });
    }
    v.board.pullLink();
    v.clock.advance(1800); // shorter than lt, longer than the lt/3 the gateway promised between frames
    v.board.restoreLink();
    v.ask({ t: 'ping', g: 99 });
    v.clock.advance(1000);
    const unique = [
      ...new Map((v.frames.filter((f) => f.t === 'b') as Batch[]).map((b) => [b.s, b])).values(),
    ].sort((x, y) => x.s - y.s);
    expectContiguous(unique);
    expect(unique.length).toBeGreaterThan(35);
    expect(v.since(0, 'gap')).toEqual([]);
  });

  it('backlog overflow evicts the oldest batches and reports them as one backlog_overflow gap with their sequence numbers', async () => {
    await configured({ memory: { total: 16383, free: 400 } });
    const v = vb as VirtualBoard;
    v.ask({ t: 'hello', v: 1, lt: 300 });
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A2'], hz: 50 }], bms: 100 });
    v.clock.advance(200);
    v.ask({ t: 'ping', g: 0 });
    v.board.pullLink();
    v.clock.advance(5000);
    v.board.restoreLink();
    const back = v.frames.length;
    v.ask({ t: 'ping', g: 1 });
    v.clock.advance(1000);
    const after = v.since(back).filter((f) => f.t === 'gap' || f.t === 'b');
    expect(after[0]).toMatchObject({ t: 'gap', k: 'a', why: 'backlog_overflow' });
    const gap = after[0] as Frame & { s0: number; s1: number; n: number };
    expect(gap.n).toBe((gap.s1 - gap.s0 + 1) * 5);
    const batches = after.slice(1) as Batch[];
    expect(batches[0]?.s).toBe(gap.s1 + 1);
    expectContiguous(batches);
  });

  it('reboot: unsolicited hi with the clock stepped back, no sampling until the gateway sends cfg and plan again', async () => {
    await configured();
    const v = vb as VirtualBoard;
    v.ask({ t: 'plan', e: [{ k: 'a', m: 'A', r: ['A1'], hz: 50 }] });
    v.clock.advance(5000);
    const before = v.ask({ t: 'ping', g: 0 }).clk as number;
    const mark = v.frames.length;
    expect(v.ask({ t: 'reboot' })).toMatchObject({ t: 'ok' });
    v.clock.advance(100); // E.reboot() runs 50 ms after the ok
    await new Promise((r) => setImmediate(r));
    v.clock.advance(1000);
    const hiAt = v.frames.findIndex((f, i) => i >= mark && f.t === 'hi');
    const hi = v.frames[hiAt];
    expect(hi?.id).toBeUndefined();
    expect(hi?.clk as number).toBeLessThan(before);
    expect(v.board.boots).toBe(2);
    expect(v.since(hiAt, 'b')).toEqual([]);
    expect(v.ask({ t: 'read', m: 'A', r: ['A1'] })).toMatchObject({
      t: 'err',
      code: 'unknown_reader',
    });
  });

  it('repl hands Serial1 back to the Espruino console (for reflashing) and stops answering frames', async () => {
    await configured();
    const v = vb as VirtualBoard;
    expect(v.ask({ t: 'repl' })).toMatchObject({ t: 'ok' });
    v.clock.advance(100);
    expect(v.board.consoleOn).toBe('Serial1');
    const mark = v.frames.length;
    v.link.send({ t: 'ping', id: 1, g: 0 });
    v.clock.advance(10);
    expect(v.since(mark, 'pong')).toEqual([]); // the REPL has the port now (it only echoes the line)
    const noise = v.link.noise;
    v.link.sendRaw('\x10print("<","<<",JSON.stringify(process.env),">>",">")\n');
    v.clock.advance(10);
    expect(v.link.noise).toBeGreaterThan(noise);
  });
});

describe('emulator isolation', () => {
  it('exposes only the Espruino API: Node and ES2015+ globals are missing in the board context', async () => {
    vb = await virtualBoard({
      code: 'setTimeout(function(){ new Map(); }, 1); setTimeout(function(){ require("fs"); }, 2); setTimeout(function(){ Buffer.from("x"); }, 3);',
    });
    vb.clock.advance(10);
    const errors = vb.board.errors.map(String);
    vb.board.errors.length = 0;
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/Map is not defined/);
    expect(errors[1]).toMatch(/Module fs not found/);
    expect(errors[2]).toMatch(/Buffer is not defined/);
  });
});
