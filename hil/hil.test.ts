/**
 * The HIL suite: one suite, run against emulated ESP32s (compiled bundle, real pty, real broker)
 * by default, and against a real board when WHARF_HIL_PORT or WHARF_HIL_MQTT is set (docs/hil.md).
 * Real time throughout. Checks that need hardware are pending without it, naming the variable.
 */
import path from 'node:path';
import os from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lateProbe } from './host-load.js';
import { requireTool } from '../test/helpers/system-tool.js';
import { buildFirmware } from '../firmware/tools/build.js';
import type { Frame } from './driver/links.js';
import { bundleFor } from './emulator/bundle.js';
import { FIXTURE, hilTargets, type HilTarget } from './targets.js';

type Batch = Frame & { k: string; s: number; t0: number; dt: number; v: number[][] };

const hasSocat = requireTool('socat', 'the HIL suite wires emulated boards to real pty pairs');
const specs = hilTargets().filter((s) => s.hardware || s.transport !== 'serial' || hasSocat);
/** Waits (bounded) until `ok()`; fails naming `what` otherwise. */
async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function uniqueBySeq(batches: Batch[]): Batch[] {
  const m = new Map<number, Batch>();
  for (const b of batches) if (!m.has(b.s)) m.set(b.s, b);
  return [...m.values()].sort((a, b) => a.s - b.s);
}

/**
 * Every scheduled instant between the first and last batch is either a sample or inside a gap
 * frame the board sent (missed_ticks on a busy host): nothing unaccounted. Sequence numbers never skip.
 */
function contiguityErrors(batches: Batch[], gaps: Frame[] = []): string[] {
  const errs: string[] = [];
  for (let i = 1; i < batches.length; i++) {
    const a = batches[i - 1] as Batch;
    const b = batches[i] as Batch;
    const expected = a.t0 + a.v.length * a.dt;
    if (b.s !== a.s + 1) errs.push(`seq ${a.s} → ${b.s}`);
    else if (Math.abs(b.t0 - expected) > 0.01) {
      const hole = gaps.find(
        (g) =>
          g.k === a.k &&
          Math.abs((g.t0 as number) - expected) < 0.01 &&
          Math.abs((g.t1 as number) - (b.t0 - a.dt)) < 0.01 &&
          g.n === Math.round((b.t0 - expected) / a.dt),
      );
      if (!hole)
        errs.push(
          `t0 ${b.t0} after ${a.t0}+${a.v.length}×${a.dt} with no gap frame for the samples between`,
        );
    }
  }
  return errs;
}

const gapsOf = (frames: Frame[], why?: string) =>
  frames.filter((f) => f.t === 'gap' && (why === undefined || f.why === why));

describe.each(specs)('HIL: $name', (spec) => {
  let t: HilTarget;
  const onHardware = spec.hardware;

  beforeAll(async () => {
    t = await spec.make();
    // a board that is still joining the broker misses a QoS 0 hello: ask again, bounded
    let hi: Frame | undefined;
    for (let i = 0; i < 10 && !hi; i++)
      hi = await t.driver.request({ t: 'hello', v: 1 }, 1000).catch(() => undefined);
    expect(hi?.t).toBe('hi');
  }, 30_000);

  afterAll(async () => {
    await t?.driver.request({ t: 'plan', e: [] }, 3000).catch(() => undefined);
    if (t?.emulator) expect(t.emulator.errors.map(String)).toEqual([]);
    await t?.close();
  });

  async function configure(): Promise<Frame> {
    const ok = await t.driver.request({ t: 'cfg', ...FIXTURE.cfg }, 3000);
    expect(ok.t).toBe('ok');
    return ok;
  }

  it('handshake: hi carries protocol 1, the board id, firmware version and streaming caps', async () => {
    const hi = await t.driver.request({ t: 'hello', v: 1 });
    expect(hi).toMatchObject({ t: 'hi', v: 1, caps: { st: 1 } });
    expect(typeof hi.bid).toBe('string');
    expect(hi.fw).toMatch(/^\d+\.\d+\.\d+$/);
    expect((hi.caps as { hz: number }).hz).toBeGreaterThanOrEqual(100);
    const g = Date.now() + 0.5;
    const pong = await t.driver.request({ t: 'ping', g });
    expect(pong).toMatchObject({ t: 'pong', g });
    expect(pong.clk as number).toBeGreaterThan(hi.clk as number);
  });

  it('analog and GPIO values match the fixture within tolerance, with the 11 dB voltage range', async () => {
    const ok = await configure();
    expect((ok.a as unknown[][]).slice(0, 2)).toEqual([
      ['A1', 0, 3.3, 0.000806],
      ['A2', 0, 3.3, 0.000806],
    ]);
    expect(ok.p).toEqual(['27', '26']);
    for (let i = 0; i < 5; i++) {
      const val = await t.driver.request({ t: 'read', m: 'A', r: ['A1', 'A2'] });
      expect(
        Math.abs(((val.v as number[])[0] as number) - FIXTURE.expectRaw.A1),
      ).toBeLessThanOrEqual(t.adcTolerance);
      expect(
        Math.abs(((val.v as number[])[1] as number) - FIXTURE.expectRaw.A2),
      ).toBeLessThanOrEqual(t.adcTolerance);
      const g = await t.driver.request({ t: 'read', m: 'G', r: ['27', '26'] });
      expect(g.v).toEqual([FIXTURE.expectPins['27'], FIXTURE.expectPins['26']]);
    }
  });

  it('rate accuracy: 100 Hz streamed for 3 s is complete on the board schedule and arrives at 100 Hz', async () => {
    await configure();
    const from = t.driver.frames.length;
    const probe = lateProbe(10);
    await t.driver.request({
      t: 'plan',
      e: [
        { k: 'r', m: 'A', r: ['A1', 'A3'], hz: 100 },
        { k: 'g', m: 'G', r: ['27'], hz: 20 },
      ],
      bms: 100,
    });
    // until the batches received cover 3 s of the board's schedule (not 3.2 s of host time: on a
    // loaded host they may arrive late, and the accounting below is over what arrived)
    const covered = () => {
      const rs = t.driver.frames.slice(from).filter((f) => f.t === 'b' && f.k === 'r') as Batch[];
      const a = rs[0];
      const z = rs[rs.length - 1];
      return a !== undefined && z !== undefined && z.t0 + (z.v.length - 1) * z.dt - a.t0 >= 3000;
    };
    await until(covered, 15_000, '3 s of 100 Hz batches');
    const host = probe();
    await t.driver.request({ t: 'plan', e: [] });
    const idx = t.driver.frames
      .map((f, i) => ({ f, i }))
      .slice(from)
      .filter((x) => x.f.t === 'b' && x.f.k === 'r');
    const batches = idx.map((x) => x.f as Batch);
    const gaps = gapsOf(t.driver.frames.slice(from));
    expect(contiguityErrors(batches, gaps)).toEqual([]);
    expect(gaps.every((g) => g.why === 'missed_ticks')).toBe(true);
    const first = batches[0] as Batch;
    const samples = batches.reduce((n, b) => n + b.v.length, 0);
    const missed = gaps.filter((g) => g.k === 'r').reduce((n, g) => n + (g.n as number), 0);
    // a late timer on a busy host is a missed tick, reported as a gap (never a made-up sample);
    // on real hardware there is no host load, on the emulator it may miss what the host misses
    const allowed = t.hardware ? 0.01 : host.lateFraction * 2 + 0.03;
    expect(
      missed / (samples + missed),
      `missed ticks; host itself ran ${(100 * host.lateFraction).toFixed(1)} % of 10 ms timers a period late`,
    ).toBeLessThan(allowed);
    const end = (b: Batch) => b.t0 + (b.v.length - 1) * b.dt; // a batch leaves right after its last sample
    const hostSpan =
      (t.driver.arrivals[(idx[idx.length - 1] as { i: number }).i] as number) -
      (t.driver.arrivals[(idx[0] as { i: number }).i] as number);
    expect(samples + missed).toBeGreaterThanOrEqual(295); // ~3 s at 100 Hz scheduled
    // the board's schedule runs at the host's speed (no drift, no bursts) ...
    // board clock vs arrival clock: least-squares slope over every batch (one late arrival cannot skew it)
    const xs = batches.map(end);
    const ys = idx.map((x) => t.driver.arrivals[x.i] as number);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope =
      xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0) /
      xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    expect(Math.abs(slope - 1)).toBeLessThan(0.02);
    // ... and what arrives is 100 Hz minus the ticks the board reported missing
    const hostRate =
      ((samples - (batches[batches.length - 1] as Batch).v.length) * 1000) / hostSpan;
    // within 3 Hz, plus what the arrival jitter of the first and last batch can make of a rate
    // over this span (on a busy host a batch can be read tens of ms late; the slope above is
    // immune to that, a first-to-last rate is not)
    const jitter = Math.max(
      ...xs.map((x, i) => Math.abs((ys[i] as number) - (my + slope * (x - mx)))),
    );
    const rateTolerance = 3 + (100 * 2 * jitter) / hostSpan;
    expect(
      Math.abs(hostRate - 100 * (1 - missed / (samples + missed))),
      `arrival rate ${hostRate.toFixed(2)} Hz over ${hostSpan.toFixed(0)} ms, arrival jitter ${jitter.toFixed(1)} ms`,
    ).toBeLessThan(rateTolerance);
    for (const b of batches)
      for (const v of b.v)
        expect(Math.abs((v[0] as number) - FIXTURE.expectRaw.A1)).toBeLessThanOrEqual(
          t.adcTolerance,
        );
    if (t.emulator) {
      // when the emulated ADC was actually read vs the scheduled instant
      const reads = t.emulator.analogReads.filter((r) => r.pin === 'D32' && r.ms >= first.t0 - 1);
      const late = reads
        .map((r) => r.ms - first.t0 - Math.round((r.ms - first.t0) / first.dt) * first.dt)
        .sort((a, b) => a - b);
      const p95 = late[Math.floor(late.length * 0.95)] as number;
      process.stdout.write(
        `[hil ${spec.name}] ${samples} samples at 100 Hz, ${missed} missed ticks (host probe: ${(100 * host.lateFraction).toFixed(1)} % late); host rate ${hostRate.toFixed(2)} Hz; host/board clock slope ${slope.toFixed(4)}; read lateness p50 ${late[Math.floor(late.length / 2)]?.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${late[late.length - 1]?.toFixed(2)} ms\n`,
      );
      expect(p95).toBeLessThan(10);
    }
  }, 40_000); // bounded waits inside; generous for a loaded machine

  it.skipIf(spec.hardware && spec.transport === 'mqtt')(
    'link pulled for 2 s and restored: the backlog arrives oldest-first and nothing is lost',
    async () => {
      await t.driver.request({ t: 'hello', v: 1, lt: 1500 }); // heartbeat every 150 ms, well under lt/3
      t.driver.startHeartbeat(150);
      await configure();
      const from = t.driver.frames.length;
      await t.driver.request({ t: 'plan', e: [{ k: 'l', m: 'A', r: ['A3'], hz: 50 }], bms: 100 });
      await t.driver.waitFor((f) => f.t === 'b' && f.k === 'l', 5000, from);
      await sleep(1000); // deliberate: a second of streaming before the pull
      await t.pullLink?.();
      const pulledAt = t.driver.frames.length;
      const lastBefore = uniqueBySeq(t.driver.batches('l', from)).pop() as Batch;
      await sleep(2000); // deliberate: the link is out for 2 s
      await t.restoreLink?.();
      const back = t.driver.frames.length;
      // the backlog drains and live batches follow (MQTT reconnects within the agent's 5 s watchdog)
      await t.driver
        .waitFor(
          (f) => f.t === 'b' && f.k === 'l' && (f.t0 as number) > lastBefore.t0 + 3500,
          12_000,
          back,
        )
        .catch((err: Error) => {
          const seen = t.driver.frames
            .slice(back)
            .map((f) => `${f.t}${f.t === 'b' ? `:${f.s}@${f.t0}` : ''}`);
          throw new Error(
            `${err.message}; last batch before the pull ${lastBefore.s}@${lastBefore.t0}; after restore: ${seen.slice(0, 40).join(' ')}`,
          );
        });
      t.driver.stopHeartbeat();
      await t.driver.request({ t: 'plan', e: [] });
      const after = t.driver.batches('l', back);
      // oldest first: each batch not seen before arrives after the older ones (a board re-sends its
      // last moments after every link timeout, and the gateway drops those repeats by number)
      const seen = new Set(
        t.driver
          .batches('l', from)
          .slice(0, -after.length || undefined)
          .map((b) => b.s),
      );
      const fresh = after.filter((b) => !seen.has(b.s) && (seen.add(b.s), true));
      for (let i = 1; i < fresh.length; i++)
        expect((fresh[i] as Batch).s).toBeGreaterThan((fresh[i - 1] as Batch).s);
      const all = uniqueBySeq(t.driver.batches('l', from));
      const gaps = gapsOf(t.driver.frames.slice(from));
      expect(gaps.filter((g) => g.why !== 'missed_ticks')).toEqual([]);
      expect(contiguityErrors(all, gaps)).toEqual([]);
      // batches sampled while the link was down came through the backlog
      expect(after.some((b) => b.t0 > lastBefore.t0 + 500 && b.t0 < lastBefore.t0 + 2000)).toBe(
        true,
      );
      expect(pulledAt).toBeLessThanOrEqual(back);
    },
    30_000,
  );

  it.skipIf(onHardware)(
    'backlog overflow is reported as a backlog_overflow gap naming the lost sequence numbers (emulator only: sets free memory)',
    async () => {
      const em = t.emulator;
      if (!em) throw new Error('needs the emulator');
      await t.driver.request({ t: 'hello', v: 1, lt: 1500 });
      t.driver.startHeartbeat(100);
      await configure();
      await t.driver.request({
        t: 'plan',
        e: [{ k: 'o', m: 'A', r: ['A1', 'A2', 'A3'], hz: 100 }],
        bms: 100,
      });
      await sleep(500); // deliberate: half a second of streaming before the pull
      em.setFreeMemory(300);
      await t.pullLink?.();
      await sleep(2500); // deliberate: the outage that overflows the small backlog
      await t.restoreLink?.();
      const back = t.driver.frames.length;
      const gap = await t.driver.waitFor((f) => f.t === 'gap' && f.k === 'o', 12_000, back);
      await t.driver.waitFor(
        (f) => f.t === 'b' && f.k === 'o' && (f.s as number) > (gap.s1 as number) + 5,
        12_000,
        back,
      );
      t.driver.stopHeartbeat();
      await t.driver.request({ t: 'plan', e: [] });
      em.setFreeMemory(12000);
      expect(gap).toMatchObject({ why: 'backlog_overflow' });
      const lostBatches = (gap.s1 as number) - (gap.s0 as number) + 1;
      expect(gap.n as number).toBeGreaterThanOrEqual(lostBatches);
      // (a batch holds what its 100 ms window sampled: 10 at 100 Hz, one more when its timer is
      // late on a busy machine, so the exact bound is the span's instants, not batches × 10)
      expect(gap.n as number).toBeLessThanOrEqual(
        Math.round(((gap.t1 as number) - (gap.t0 as number)) / 10) + 1,
      );
      const after = uniqueBySeq(t.driver.batches('o', back));
      expect(after[0]?.s).toBe((gap.s1 as number) + 1);
      expect(contiguityErrors(after, gapsOf(t.driver.frames.slice(back), 'missed_ticks'))).toEqual(
        [],
      );
    },
    30_000,
  );

  it('board reboot: an unsolicited hi with the clock stepped back; sampling resumes from sequence 0 after cfg and plan', async () => {
    const before = await t.driver.request({ t: 'ping', g: 1 });
    const mark = t.driver.frames.length;
    await t.driver.request({ t: 'reboot' });
    const hi = await t.driver.waitFor((f) => f.t === 'hi' && f.id === undefined, 15_000, mark);
    expect(hi.clk as number).toBeLessThan(before.clk as number);
    await configure();
    const from = t.driver.frames.length;
    await t.driver.request({ t: 'plan', e: [{ k: 'z', m: 'A', r: ['A1'], hz: 20 }] });
    const b = await t.driver.waitFor((f) => f.t === 'b' && f.k === 'z', 10_000, from);
    expect(b.s).toBe(0);
    await t.driver.request({ t: 'plan', e: [] });
  }, 30_000);

  it.skipIf(spec.transport !== 'serial')(
    'reflash through `wharf firmware flash` (espruino CLI): the new agent is saved, boots and answers',
    async () => {
      if (!t.flashFile) throw new Error('this bench cannot flash');
      const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-hil-flash-'));
      try {
        const id = (await t.driver.request({ t: 'hello', v: 1 })).bid as string;
        const next = await buildFirmware(
          { transport: 'serial', boardId: id, maxHz: 199 },
          { outDir: dir },
        );
        await t.flashFile(next.file as string);
        let hi: Frame | undefined;
        for (let i = 0; i < 15 && hi?.caps === undefined; i++)
          hi = await t.driver.request({ t: 'hello', v: 1 }, 1000).catch(() => undefined);
        expect(hi?.caps).toMatchObject({ hz: 199 });
        if (t.emulator) expect(t.emulator.files.get('.bootcde')).toBe(next.code);
        // and back to the suite's own build
        const back = await buildFirmware({ transport: 'serial', boardId: id }, { outDir: dir });
        await t.flashFile(back.file as string);
        hi = undefined;
        for (let i = 0; i < 15 && hi?.caps === undefined; i++)
          hi = await t.driver.request({ t: 'hello', v: 1 }, 1000).catch(() => undefined);
        expect(hi?.caps).toMatchObject({ hz: 200 });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );

  it.skipIf(onHardware || spec.transport === 'serial')(
    'MQTT reconnect: the board keeps its backlog until the gateway speaks on the new connection (CONNACK is not enough), then drains it (emulator only)',
    async () => {
      const em = t.emulator;
      if (!em) throw new Error('needs the emulator');
      await t.driver.request({ t: 'hello', v: 1, lt: 8000 });
      await configure();
      const from = t.driver.frames.length;
      await t.driver.request({ t: 'plan', e: [{ k: 'r', m: 'A', r: ['A1'], hz: 50 }], bms: 100 });
      await t.driver.waitFor((f) => f.t === 'b' && f.k === 'r', 10_000, from);
      em.pullLink();
      await until(() => !em.mqttConnected(), 10_000, 'the board to see the link drop');
      await sleep(1000); // deliberate: the outage
      const restoredAt = t.driver.frames.length;
      em.restoreLink();
      // the agent redials within its 5 s watchdog; CONNACK arrives, the session is up
      await until(() => em.mqttConnected(), 12_000, 'the board to reconnect');
      // a board that drained on CONNACK would have published batches within these 300 ms
      await sleep(300);
      expect(t.driver.frames.slice(restoredAt).filter((f) => f.t === 'b')).toEqual([]);
      const spoke = t.driver.frames.length;
      await t.driver.request({ t: 'ping', g: Date.now() }, 5000);
      const drained = t.driver.batches('r', spoke);
      expect(drained.length).toBeGreaterThan(5);
      await t.driver.request({ t: 'plan', e: [] });
    },
    30_000,
  );

  it.skipIf(onHardware || spec.transport === 'serial')(
    'reflash: a new bundle written to the emulated flash boots and announces itself (emulator only)',
    async () => {
      const em = t.emulator;
      if (!em || !t.settings) throw new Error('needs the emulator');
      const mark = t.driver.frames.length;
      em.flash(await bundleFor({ ...t.settings, maxHz: 150 }));
      const hi = await t.driver.waitFor((f) => f.t === 'hi' && f.id === undefined, 15_000, mark);
      expect(hi.caps).toMatchObject({ hz: 150 });
      const again = t.driver.frames.length;
      em.flash(await bundleFor(t.settings));
      await t.driver.waitFor((f) => f.t === 'hi' && f.id === undefined, 15_000, again);
    },
    30_000,
  );
});

describe('HIL: hardware-only checks', () => {
  const port = process.env.WHARF_HIL_PORT;
  const mqtt = process.env.WHARF_HIL_MQTT;

  it.skipIf(!port)(
    'a real ESP32 crystal: board clock drift against the gateway under 200 ppm over 10 s (set WHARF_HIL_PORT=/dev/ttyUSB0)',
    async () => {
      const [target] = hilTargets({ WHARF_HIL_PORT: port });
      const t = await (target as { make: () => Promise<HilTarget> }).make();
      try {
        const sample = async () => {
          const g0 = performance.now();
          const f = await t.driver.request({ t: 'ping', g: g0 }, 3000);
          return {
            mid: (g0 + performance.now()) / 2,
            clk: f.clk as number,
            rtt: performance.now() - g0,
          };
        };
        const a = await sample();
        await sleep(10_000); // deliberate: the measurement span
        const b = await sample();
        const ppm = ((b.clk - a.clk - (b.mid - a.mid)) / (b.mid - a.mid)) * 1e6;
        expect(Math.abs(ppm)).toBeLessThan(200 + ((a.rtt + b.rtt) / 10_000) * 1e6);
      } finally {
        await t.close();
      }
    },
    60_000,
  );

  it.skipIf(!mqtt)(
    'a real ESP32 over WiFi/MQTT answers pings within 250 ms at p95 (set WHARF_HIL_MQTT=mqtt://user:pass@host:1883/boardId)',
    async () => {
      const [target] = hilTargets({ WHARF_HIL_MQTT: mqtt });
      const t = await (target as { make: () => Promise<HilTarget> }).make();
      try {
        const rtts: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t0 = performance.now();
          await t.driver.request({ t: 'ping', g: Date.now() }, 3000);
          rtts.push(performance.now() - t0);
        }
        rtts.sort((a, b) => a - b);
        expect(rtts[18] as number).toBeLessThan(250);
      } finally {
        await t.close();
      }
    },
    120_000,
  );
});
