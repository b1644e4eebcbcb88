import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/shared/clock.js';
import { TickScheduler, type MissedTicks } from '../../../src/capture/scheduler.js';

function record(clock: FakeClock, hz: number) {
  const ticks: number[] = [];
  const missed: MissedTicks[] = [];
  const s = new TickScheduler({
    clock,
    hz,
    onTick: (t) => ticks.push(t),
    onMissed: (m) => missed.push(m),
  });
  return { s, ticks, missed };
}

describe('TickScheduler (fake clock)', () => {
  it('ticks on absolute deadlines with no drift over 6 simulated hours at 10 Hz', () => {
    const clock = new FakeClock();
    const start = clock.now();
    const { s, ticks, missed } = record(clock, 10);
    s.start();
    const hours = 6;
    for (let i = 0; i < hours * 60; i++) clock.advance(60_000); // minute by minute
    s.stop();
    // Ticks 0 .. hours*36000 inclusive (the deadline at exactly the end is due).
    expect(ticks.length).toBe(hours * 36_000 + 1);
    expect(missed).toEqual([]);
    const last = ticks[ticks.length - 1]!;
    expect(Math.abs(last - (start + hours * 3_600_000))).toBeLessThan(1e-3);
    // Every tick sits on the grid; spacing exactly the period.
    for (let i = 1; i < ticks.length; i += 997) {
      expect(Math.abs(ticks[i]! - (start + i * 100))).toBeLessThan(1e-3);
    }
  });

  it('a timer that always fires late does not shift later ticks (re-armed on absolute deadlines)', () => {
    // A clock whose timers fire 3 ms late, like a busy event loop at 100 Hz.
    const inner = new FakeClock();
    const late = {
      now: () => inner.now(),
      setTimer: (fn: () => void, d: number) => inner.setTimer(fn, d + 3),
      clearTimer: (h: { id: number }) => inner.clearTimer(h),
    };
    const ticks: number[] = [];
    const missed: MissedTicks[] = [];
    const start = inner.now();
    const s = new TickScheduler({
      clock: late,
      hz: 100,
      onTick: (t) => ticks.push(t),
      onMissed: (m) => missed.push(m),
    });
    s.start();
    inner.advance(60_000);
    s.stop();
    expect(missed).toEqual([]);
    expect(ticks.length).toBe(6000); // 0..5999 (the 6000th deadline + 3 ms is after the end)
    expect(ticks[5999]).toBeCloseTo(start + 59_990, 6);
  });

  it('after a stall the missed ticks are reported once as one span and not replayed', () => {
    const clock = new FakeClock();
    const start = clock.now();
    const { s, ticks, missed } = record(clock, 100);
    s.start();
    clock.advance(1000); // ticks 0..100
    expect(ticks.length).toBe(101);
    clock.stall(5_000); // event loop blocked for 5 s
    clock.advance(0); // the overdue timer fires now
    // Not a burst of 500: only the ticks inside the 50 ms jitter window run (5960 … 6000).
    expect(ticks.length).toBe(106);
    expect(ticks.slice(101).map((t) => t - start)).toEqual([5960, 5970, 5980, 5990, 6000]);
    expect(missed).toHaveLength(1);
    expect(missed[0]!.count).toBe(495); // ticks 101..595
    expect(missed[0]!.start).toBeCloseTo(start + 1010, 6);
    expect(missed[0]!.end).toBeCloseTo(start + 5950, 6);
    clock.advance(1000);
    expect(ticks.length).toBe(206);
    expect(ticks[205]).toBeCloseTo(start + 7000, 6);
    expect(s.stats()).toEqual({ ticks: 206, missed: 495 });
  });

  it('a wake-up within the jitter window runs the overdue ticks late instead of dropping them', () => {
    const clock = new FakeClock();
    const start = clock.now();
    const { s, ticks, missed } = record(clock, 100);
    s.start();
    clock.advance(100); // ticks 0..10
    clock.stall(38); // woken 38 ms late: ticks at 110, 120, 130 are overdue (28, 18, 8 ms), all within 50 ms
    clock.advance(0);
    expect(missed).toEqual([]);
    expect(ticks.slice(11).map((t) => t - start)).toEqual([110, 120, 130]);
    s.stop();
  });

  it('a stall shorter than a period loses nothing', () => {
    const clock = new FakeClock();
    const { s, ticks, missed } = record(clock, 10);
    s.start();
    clock.advance(50);
    clock.stall(40); // next deadline at 100, now at 90
    clock.advance(1000);
    expect(missed).toEqual([]);
    expect(ticks.length).toBe(11);
  });

  it('changing the frequency mid-run re-anchors on the last tick without reporting missed ticks', () => {
    const clock = new FakeClock();
    const start = clock.now();
    const { s, ticks, missed } = record(clock, 10);
    s.start();
    clock.advance(1050); // ticks at 0,100,..,1000 → 11
    expect(ticks.length).toBe(11);
    s.setHz(100); // last tick at +1000 → next at +1010 ... but now is +1050: next on new grid ≥ now
    clock.advance(950); // up to +2000
    expect(missed).toEqual([]);
    const after = ticks.slice(11);
    expect(after[0]).toBeCloseTo(start + 1050, 6);
    for (let i = 1; i < after.length; i++) expect(after[i]! - after[i - 1]!).toBeCloseTo(10, 6);
    expect(after[after.length - 1]).toBeCloseTo(start + 2000, 6);
    s.setHz(1); // slower: next tick one new period after the last
    clock.advance(2500);
    const slow = ticks.slice(11 + after.length);
    expect(slow.map((t) => t - start)).toEqual([3000, 4000]);
    expect(missed).toEqual([]);
    expect(s.hz).toBe(1);
  });

  it('changing the frequency from inside onTick works and stop() inside onTick stops', () => {
    const clock = new FakeClock();
    const start = clock.now();
    const ticks: number[] = [];
    const s: TickScheduler = new TickScheduler({
      clock,
      hz: 10,
      onTick: (t) => {
        ticks.push(t - start);
        if (ticks.length === 3) s.setHz(20);
        if (ticks.length === 6) s.stop();
      },
    });
    s.start();
    clock.advance(10_000);
    expect(ticks).toEqual([0, 100, 200, 250, 300, 350]);
    expect(clock.pending()).toBe(0);
  });

  it('a throwing onTick does not stop the schedule', () => {
    const clock = new FakeClock();
    const errors: unknown[] = [];
    let n = 0;
    const s = new TickScheduler({
      clock,
      hz: 10,
      onTick: () => {
        n++;
        throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    });
    s.start();
    clock.advance(1000);
    expect(n).toBe(11);
    expect(errors).toHaveLength(11);
    s.stop();
  });

  it('rejects a non-positive rate', () => {
    const clock = new FakeClock();
    expect(() => new TickScheduler({ clock, hz: 0, onTick: () => undefined })).toThrow(/positive/);
    const s = new TickScheduler({ clock, hz: 1, onTick: () => undefined });
    expect(() => s.setHz(-1)).toThrow(/positive/);
  });
});

describe('TickScheduler (real clock)', () => {
  // Real time on a shared 2-core machine, maybe beside a CPU hog (npm run test:loaded): the
  // measurement runs in its own process, given a higher CPU priority when the OS allows
  // (root/CAP_SYS_NICE). What a user relies on is asserted exactly, whatever the load: every
  // deadline of the 5 s window is accounted for once (run on its grid time, or inside a reported
  // missed span: ticks + missed = 500), nothing is replayed or shifted. A process descheduled for
  // longer than the jitter window really misses ticks and says so; the wall-clock accuracy is
  // asserted over the ticks that ran.
  it(
    'hits 100 Hz within 0.5% over 5 s on real timers: ticks + missed = 500, on the grid',
    { timeout: 60_000 },
    async () => {
      const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'realtime-probe.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', probe, '100', '5000'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        os.setPriority(child.pid!, -10);
      } catch {
        // not permitted here: measure at normal priority
      }
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      expect(code, err).toBe(0);
      const res = JSON.parse(out) as {
        start: number;
        period: number;
        expected: number;
        ran: [index: number, time: number, lateness: number][];
        missed: MissedTicks[];
      };
      expect(res.expected).toBe(500);
      const slot = (t: number) => Math.round((t - res.start) / res.period);
      // Each deadline 0..499 exactly once: run, or inside one missed span.
      const seen = new Array<number>(res.expected).fill(0);
      for (const [i, t] of res.ran) {
        seen[i]!++;
        // drift-free: the tick time is the absolute grid instant start + i * 10 ms
        expect(Math.abs(t - (res.start + i * res.period))).toBeLessThan(1e-6);
      }
      let missed = 0;
      for (const m of res.missed) {
        const a = slot(m.start);
        expect(Math.abs(m.start - (res.start + a * res.period))).toBeLessThan(1e-6);
        expect(slot(m.end) - a + 1).toBe(m.count);
        for (let i = a; i < Math.min(a + m.count, res.expected); i++) {
          seen[i]!++;
          missed++;
        }
      }
      const lat = res.ran.map((x) => x[2]).sort((x, y) => x - y);
      const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * f))] ?? NaN;
      const why = `ran ${res.ran.length}, missed ${missed} in ${res.missed.length} span(s), lateness p50 ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms, max ${q(1).toFixed(2)} ms`;
      process.stdout.write(`[scheduler 100 Hz, 5 s] ${why}\n`);
      expect(
        seen.filter((n) => n !== 1),
        why,
      ).toEqual([]);
      expect(res.ran.length + missed, why).toBe(500);
      // in order, never replayed
      for (let k = 1; k < res.ran.length; k++)
        expect(res.ran[k]![0]).toBeGreaterThan(res.ran[k - 1]![0]);
      // Wall-clock accuracy over the ticks that ran (most of them do, even beside a CPU hog): none
      // before its deadline, the median within 0.5% of the window (25 ms) of it, and no drift: the
      // median lateness of the last second is within 25 ms of the first second's.
      expect(res.ran.length, why).toBeGreaterThan(250);
      expect(lat[0]!, why).toBeGreaterThan(-0.1);
      expect(q(0.5), why).toBeLessThan(25);
      const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
      const firstSecond = res.ran.filter(([i]) => i < 100).map((x) => x[2]);
      const lastSecond = res.ran.filter(([i]) => i >= 400).map((x) => x[2]);
      expect(firstSecond.length, why).toBeGreaterThan(0);
      expect(lastSecond.length, why).toBeGreaterThan(0);
      expect(Math.abs(median(lastSecond) - median(firstSecond)), why).toBeLessThan(25);
    },
  );
});
