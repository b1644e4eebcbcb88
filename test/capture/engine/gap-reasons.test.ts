/**
 * Every hole explained with its true reason (issue 11, item 6): capture_disabled, a disabled
 * method, and the wait between a board's handshake and its first streamed batch.
 */
import { describe, expect, it } from 'vitest';
import { CaptureEngine } from '../../../src/capture/engine.js';
import { CaptureMetrics } from '../../../src/capture/capture-metrics.js';
import { EntryOutput } from '../../../src/capture/entry-output.js';
import { StreamedCollector } from '../../../src/capture/collector-streamed.js';
import { defaultRegistry } from '../../../src/boards/all-transports.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { Metrics } from '../../../src/shared/metrics.js';
import type { GapRecord } from '../../../src/shared/record.js';
import { RecordingSink, board, entry, plan, run, stopOn } from './helpers.js';

function setup(clock = new FakeClock(1_000_000)) {
  const sink = new RecordingSink();
  const engine = new CaptureEngine({
    registry: defaultRegistry({ clock, logger: nullLogger }),
    sink,
    clock,
    logger: nullLogger,
    metrics: new Metrics(),
  });
  return { clock, sink, engine };
}

/** Every tick of a polled entry is a reading or inside exactly one gap (counted once). */
function expectAccounted(sink: RecordingSink, key: string, periodMs: number): void {
  const times = sink.readings(key).map((r) => r.time_requested);
  const gaps = sink.gaps(key);
  const first = times[0]!;
  const last = times[times.length - 1]!;
  const ticks = Math.round((last - first) / periodMs) + 1;
  const missing = gaps
    .filter((g) => g.start > first && g.end < last)
    .reduce((n, g) => n + g.count, 0);
  expect(times.length + missing).toBe(ticks);
  for (let i = 1; i < times.length; i++) {
    const hole = times[i]! - times[i - 1]!;
    if (hole < 1.5 * periodMs) continue;
    const cover = gaps.find(
      (g) =>
        Math.abs(g.start - (times[i - 1]! + periodMs)) < 1e-6 &&
        Math.abs(g.end - (times[i]! - periodMs)) < 1e-6,
    );
    expect(cover, `hole ${times[i - 1]}..${times[i]} has no gap`).toBeDefined();
  }
}

describe('gap reasons', () => {
  it('capture_disabled for a while: one capture_disabled gap covers exactly the ticks not captured', async () => {
    const { clock, sink, engine } = setup();
    const e = entry('b', 'Analogs', ['A1'], 10, { key: 'b/a1' });
    await engine.apply(plan([board('b', 'stream=0')], [e]));
    await run(clock, 1000, 5);
    await engine.apply(plan([board('b', 'stream=0')], [e], { capture_disabled: true }));
    await run(clock, 3000, 5);
    await engine.apply(plan([board('b', 'stream=0')], [e]));
    await run(clock, 1000, 5);
    await stopOn(clock, engine);
    const gaps = sink.gaps(e.key).filter((g) => g.reason !== 'board_offline');
    expect(gaps.map((g) => g.reason)).toEqual(['capture_disabled']);
    expect(gaps[0]!.count).toBeGreaterThanOrEqual(29);
    expect(gaps[0]!.count).toBeLessThanOrEqual(31);
    expectAccounted(sink, e.key, 100);
  });

  it('a method disabled (gone from the plan) and enabled again: a method_disabled gap; the other method runs on untouched', async () => {
    const { clock, sink, engine } = setup();
    const a = entry('b', 'Analogs', ['A1'], 10, { key: 'b/a1' });
    const g = entry('b', 'Gpio', ['27'], 2, { key: 'b/g27' });
    const brd = board('b', 'stream=0');
    await engine.apply(plan([brd], [a, g]));
    await run(clock, 2000, 5);
    const s = await engine.apply(plan([brd], [a]));
    expect(s.removed).toEqual([g.key]);
    await run(clock, 4000, 5);
    await engine.apply(plan([brd], [a, g]));
    await run(clock, 2000, 5);
    await stopOn(clock, engine);
    const gg = sink.gaps(g.key).filter((x) => x.reason !== 'board_offline');
    expect(gg.map((x) => x.reason)).toEqual(['method_disabled']);
    expect(gg[0]!.count).toBeGreaterThanOrEqual(7);
    expect(gg[0]!.count).toBeLessThanOrEqual(9);
    expectAccounted(sink, g.key, 500);
    expect(sink.gaps(a.key).filter((x) => x.reason !== 'board_offline')).toEqual([]);
  });

  it('the wait between a board handshake and its first streamed batch is board_starting, a later hole is missed_ticks', () => {
    const sink = new RecordingSink();
    const metrics = new CaptureMetrics(new Metrics());
    const meta = {
      part_id: 'p',
      machine: 'm',
      component_type: 'board',
      component_name: 'b',
      method_name: 'Analogs',
      additional_parameters: {},
      tags: [],
    };
    const out = new EntryOutput('k', 'b', meta, sink, metrics, 1000, 10);
    const c = new StreamedCollector(100, out, metrics);
    const t0 = 5_000_000;
    const sample = (t: number) => ({ timeRequested: t, timeReceived: t + 1, data: {} });
    // online at t0 (accounted up to t0 - period), plan sent; the board's first sample is 400 ms later
    c.accountedUntil(t0 - 10);
    c.resetSequence();
    c.startSampling();
    c.onBatch({ key: 'k', seq: 0, samples: [400, 410, 420].map((d) => sample(t0 + d)) });
    c.onBatch({ key: 'k', seq: 1, samples: [430, 440].map((d) => sample(t0 + d)) });
    // later the board skips 5 samples without losing a batch: that is missed_ticks
    c.onBatch({ key: 'k', seq: 2, samples: [500, 510].map((d) => sample(t0 + d)) });
    out.flushGap();
    const gaps = sink.gaps('k');
    expect(gaps.map((g) => [g.reason, g.start - t0, g.end - t0, g.count])).toEqual([
      ['board_starting', 0, 390, 40],
      ['missed_ticks', 450, 490, 5],
    ]);
    expect((gaps[0] as GapRecord).detail).toMatch(/handshake to first sample/);
  });
});
