/**
 * Board-side sensors in the compiled firmware bundle (emulator, virtual time): a pulse counter on
 * a GPIO pin (setWatch, debounce), an analog pin with a linear calibration, the chip temperature
 * where the interpreter has E.getTemperature and an explicit refusal where it has not.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { constant, expectedRaw } from '../../src/emulator/signals.js';
import type { Frame } from '../../hil/driver/links.js';
import { virtualBoard, type VirtualBoard } from './virtual-board.js';

type Batch = Frame & { k: string; s: number; t0: number; dt: number; v: number[][] };

let vb: VirtualBoard | undefined;
afterEach(async () => {
  if (vb) expect(vb.board.errors).toEqual([]);
  await vb?.board.stop();
  vb = undefined;
});

/** 4–20 mA through a 150 Ω shunt = 0.6–3.0 V at the pin → 0–10 bar. */
const scale = 10 / (3.0 - 0.6);
const offset = -0.6 * scale;
const bar = (volts: number) => {
  const v = (expectedRaw(volts) * 3.3) / 4096;
  return v * scale + offset;
};

const SENSORS = [
  ['parts', 'pulse', '14', 'rising', 0, ''],
  ['flow', 'pulse', '13', 'rising', 5, 'up'],
  ['pressure', 'lin', '34', scale, offset, 11],
  ['chip', 'temp'],
];

describe('board-side sensors in the firmware (compiled bundle, emulator, virtual time)', () => {
  it('cfg accepts the sensors the board can read and refuses the rest with a code and a reason', async () => {
    vb = await virtualBoard({ analog: { D34: constant(1.8) }, temperatureC: constant(41.5) });
    const ok = vb.ask({
      t: 'cfg',
      a: [],
      p: [],
      s: [...SENSORS, ['noadc', 'lin', '12', 1, 0], ['odd', 'humidity']],
    });
    expect(ok).toMatchObject({
      t: 'ok',
      s: ['parts', 'flow', 'pressure', 'chip'],
      x: [
        ['noadc', 'unknown_pin', 'no ADC on this pin'],
        ['odd', 'bad_request', 'unknown model humidity'],
      ],
    });
    const val = vb.ask({ t: 'read', m: 'S', r: ['pressure', 'chip'] });
    expect(val.t).toBe('val');
    const v = val.v as number[];
    expect(v[0]).toBeCloseTo(bar(1.8), 5);
    expect(v[1]).toBeCloseTo((expectedRaw(1.8) * 3.3) / 4096, 5);
    expect(v[2]).toBe(41.5);
    expect(vb.ask({ t: 'read', m: 'S', r: ['nope'] })).toMatchObject({
      t: 'err',
      code: 'unknown_reader',
    });
  });

  it('accepts an analog sensor on a noisy pin: no two reads alike is a live ADC, not a missing one', async () => {
    // a real ESP32 ADC never reads the same twice in a row; the emulator's pin does so here
    let reads = 0;
    vb = await virtualBoard({ analog: { D34: () => (reads++ % 2 === 0 ? 1.8 : 1.9) } });
    const ok = vb.ask({
      t: 'cfg',
      a: [],
      p: [],
      s: [['pressure', 'lin', '34', scale, offset, 11]],
    });
    expect(ok).toMatchObject({ t: 'ok', s: ['pressure'] });
    expect(ok.x).toBeUndefined();
    expect(reads).toBeGreaterThan(0);
    const v = vb.ask({ t: 'read', m: 'S', r: ['pressure'] }).v as number[];
    expect([bar(1.8), bar(1.9)].some((b) => Math.abs(v[0]! - b) < 1e-5)).toBe(true);
  });

  it('without E.getTemperature the chip temperature is refused in cfg, never a made-up value', async () => {
    vb = await virtualBoard({});
    const ok = vb.ask({ t: 'cfg', a: [], p: [], s: [['chip', 'temp']] });
    expect(ok.s).toBeUndefined();
    expect(ok.x).toEqual([['chip', 'unsupported', 'no E.getTemperature on this interpreter']]);
    expect(vb.ask({ t: 'read', m: 'S', r: ['chip'] })).toMatchObject({ t: 'err' });
  });

  it('a temperature read that yields no number is a read_error gap, not a value', async () => {
    vb = await virtualBoard({ temperatureC: (t) => (t >= 2000 && t < 2400 ? NaN : 40) });
    vb.ask({ t: 'cfg', a: [], p: [], s: [['chip', 'temp']] });
    const from = vb.frames.length;
    vb.ask({ t: 'plan', e: [{ k: 'c', m: 'S', r: ['chip'], hz: 10 }], bms: 100 });
    vb.clock.advance(3000);
    const gaps = vb.since(from, 'gap');
    // 4 failed reads (2000–2400 ms at 10 Hz), reported as read_error gaps (closed every bms)
    expect(gaps.every((g) => g.k === 'c' && g.why === 'read_error')).toBe(true);
    expect(gaps.reduce((n, g) => n + (g.n as number), 0)).toBe(4);
    const vals = (vb.since(from, 'b') as Batch[]).flatMap((b) => b.v);
    expect(vals.length).toBeGreaterThan(20);
    expect(vals.every((x) => x.length === 1 && x[0] === 40)).toBe(true);
  });

  it('counts injected pulses exactly per interval and in total; debounce swallows contact bounce', async () => {
    vb = await virtualBoard({ analog: { D34: constant(0.6) }, temperatureC: constant(40) });
    const v = vb;
    v.ask({ t: 'cfg', a: [], p: [], s: SENSORS });
    const from = v.frames.length;
    v.ask({
      t: 'plan',
      e: [
        { k: 'p', m: 'S', r: ['parts'], hz: 5 },
        { k: 'f', m: 'S', r: ['flow'], hz: 5 },
      ],
      bms: 100,
    });
    v.clock.advance(1000);
    // 37 clean pulses on D14; 23 bouncing pulses (2 flickers each) on D13, debounced at 5 ms
    void v.board.pulses('D14', 37, { highMs: 10, lowMs: 10 });
    void v.board.pulses('D13', 23, { highMs: 10, lowMs: 10, bounces: 2 });
    v.clock.advance(3000);
    const rows = (k: string) =>
      (v.since(from, 'b') as Batch[]).filter((b) => b.k === k).flatMap((b) => b.v);
    const parts = rows('p');
    const flow = rows('f');
    expect(parts.length).toBeGreaterThanOrEqual(19);
    expect(parts.reduce((n, r) => n + r[0]!, 0)).toBe(37);
    expect(parts[parts.length - 1]![1]).toBe(37);
    // each sample's total is the previous total plus its interval count
    for (let i = 1; i < parts.length; i++)
      expect(parts[i]![1]).toBe(parts[i - 1]![1]! + parts[i]![0]!);
    expect(flow.reduce((n, r) => n + r[0]!, 0)).toBe(23);
    expect(flow[flow.length - 1]![1]).toBe(23);
    // 20 ms per pulse at 5 Hz: about 10 per 200 ms interval while pulsing
    expect(Math.max(...parts.map((r) => r[0]!))).toBeGreaterThanOrEqual(9);
    expect(v.since(from, 'gap')).toEqual([]);
  });

  it('pulses during a link outage are counted on the board and arrive from the backlog, every interval once', async () => {
    vb = await virtualBoard({});
    const v = vb;
    v.ask({ t: 'hello', v: 1, lt: 900 });
    v.ask({ t: 'cfg', a: [], p: [], s: [['parts', 'pulse', '14', 'rising', 0, '']] });
    v.ask({ t: 'plan', e: [{ k: 'p', m: 'S', r: ['parts'], hz: 10 }], bms: 100 });
    v.clock.advance(500);
    v.ask({ t: 'ping', g: 0 });
    v.board.pullLink();
    void v.board.pulses('D14', 60, { highMs: 10, lowMs: 10 });
    for (let i = 0; i < 30; i++) v.clock.advance(100); // 3 s without the gateway
    const whileDown = v.frames.length;
    v.board.restoreLink();
    v.ask({ t: 'ping', g: 1 });
    v.clock.advance(1000);
    // the counts taken while the link was down came from the backlog after it was back
    const drained = (v.since(whileDown, 'b') as Batch[]).flatMap((b) => b.v);
    expect(drained.reduce((n, r) => n + r[0]!, 0)).toBeGreaterThan(30);
    // the re-send queue may repeat a batch: each sequence number once, as the gateway keeps it
    const unique = [
      ...new Map((v.frames.filter((f) => f.t === 'b') as Batch[]).map((b) => [b.s, b])).values(),
    ].sort((x, y) => x.s - y.s);
    unique.forEach((b, i) => expect(b.s).toBe(i));
    const rows = unique.flatMap((b) => b.v);
    expect(rows.reduce((n, r) => n + r[0]!, 0)).toBe(60);
    expect(rows[rows.length - 1]![1]).toBe(60);
    expect(v.since(0, 'gap')).toEqual([]);
  });

  it('without debounce every bounce is an edge (the debounce attribute matters)', async () => {
    vb = await virtualBoard({});
    vb.ask({ t: 'cfg', a: [], p: [], s: [['raw', 'pulse', '13', 'rising', 0, '']] });
    void vb.board.pulses('D13', 10, { bounces: 2 });
    vb.clock.advance(1000);
    expect(vb.ask({ t: 'read', m: 'S', r: ['raw'] }).v).toEqual([30, 30]);
    // the next read counts only what came since
    expect(vb.ask({ t: 'read', m: 'S', r: ['raw'] }).v).toEqual([0, 30]);
  });

  it('a repeated identical cfg (a gateway reconnecting) keeps the pulse total; a changed one restarts it', async () => {
    vb = await virtualBoard({});
    const s = [['parts', 'pulse', '14', 'rising', 0, '']];
    vb.ask({ t: 'cfg', a: [], p: [], s });
    void vb.board.pulses('D14', 5);
    vb.clock.advance(500);
    vb.ask({ t: 'cfg', a: [], p: [], s });
    void vb.board.pulses('D14', 4);
    vb.clock.advance(500);
    expect(vb.ask({ t: 'read', m: 'S', r: ['parts'] }).v).toEqual([9, 9]);
    vb.ask({ t: 'cfg', a: [], p: [], s: [['parts', 'pulse', '14', 'falling', 0, '']] });
    void vb.board.pulses('D14', 3);
    vb.clock.advance(500);
    expect(vb.ask({ t: 'read', m: 'S', r: ['parts'] }).v).toEqual([3, 3]);
  });
});
