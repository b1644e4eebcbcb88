import { describe, expect, it } from 'vitest';
import { CaptureEngine } from '../../../src/capture/engine.js';
import { defaultRegistry } from '../../../src/boards/all-transports.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { memoryLogger, nullLogger } from '../../../src/shared/logger.js';
import { Metrics } from '../../../src/shared/metrics.js';
import { RecordingSink, board, entry, plan, run, stopOn } from './helpers.js';

function setup(clock = new FakeClock(1_000_000)) {
  const sink = new RecordingSink();
  const metrics = new Metrics();
  const engine = new CaptureEngine({
    registry: defaultRegistry({ clock, logger: nullLogger }),
    sink,
    clock,
    logger: nullLogger,
    metrics,
  });
  return { clock, sink, metrics, engine };
}

/** Consecutive time_requested differences all equal to the period (no lost, no repeated reading). */
function expectContinuous(times: number[], periodMs: number): void {
  expect(times.length).toBeGreaterThan(2);
  for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeCloseTo(periodMs, 6);
}

describe('CaptureEngine live plan changes', () => {
  it('unchanged entries keep running untouched, changed ones restart, removed ones stop, added ones start', async () => {
    const { clock, sink, engine } = setup();
    const polledKeep = entry('p', 'Analogs', ['A1'], 2); // polled (≤ 2 Hz)
    const polledChange = entry('p', 'Gpio', ['27'], 1);
    const streamKeep = entry('s', 'Analogs', ['A1', 'A2'], 50);
    const streamRemove = entry('s', 'Gpio', ['27'], 20);
    const p1 = plan([board('p'), board('s')], [polledKeep, polledChange, streamKeep, streamRemove]);
    const s1 = await engine.apply(p1);
    expect(s1.added.sort()).toEqual(
      [polledKeep.key, polledChange.key, streamKeep.key, streamRemove.key].sort(),
    );
    await run(clock, 5_000, 5);
    const applyAt = clock.now();

    const added = entry('s', 'Analogs', ['A2'], 10);
    const p2 = plan(
      [board('p'), board('s')],
      [polledKeep, { ...polledChange, hz: 2 }, streamKeep, added],
    );
    const s2 = await engine.apply(p2);
    expect(s2.unchanged.sort()).toEqual([polledKeep.key, streamKeep.key].sort());
    expect(s2.changed).toEqual([polledChange.key]);
    expect(s2.removed).toEqual([streamRemove.key]);
    expect(s2.added).toEqual([added.key]);
    await run(clock, 5_000, 5);
    await stopOn(clock, engine);

    expect(sink.gaps()).toEqual([]); // nothing lost anywhere
    expectContinuous(
      sink.readings(polledKeep.key).map((r) => r.time_requested),
      500,
    );
    expectContinuous(
      sink.readings(streamKeep.key).map((r) => r.time_requested),
      20,
    );
    expect(sink.readings(streamKeep.key).length).toBeGreaterThanOrEqual(495);
    const changed = sink.readings(polledChange.key).map((r) => r.time_requested);
    const before = changed.filter((t) => t < applyAt);
    const after = changed.filter((t) => t >= applyAt);
    expectContinuous(before, 1000);
    expectContinuous(after, 500);
    expect(after.length).toBeGreaterThanOrEqual(10);
    expect(sink.readings(streamRemove.key).every((r) => r.time_requested <= applyAt)).toBe(true);
    expect(sink.readings(streamRemove.key).length).toBeGreaterThanOrEqual(95);
    const ra = sink.readings(added.key);
    expect(ra.length).toBeGreaterThanOrEqual(45);
    expect(ra[0]!.time_requested).toBeGreaterThanOrEqual(applyAt);
  });

  it('changing tags restarts the entry so new records carry the new header', async () => {
    const { clock, sink, engine } = setup();
    const e = entry('b', 'Analogs', ['A1'], 1);
    await engine.apply(plan([board('b')], [e]));
    await run(clock, 2000, 10);
    const s = await engine.apply(plan([board('b')], [{ ...e, tags: ['line-3'] }]));
    expect(s.changed).toEqual([e.key]);
    await run(clock, 2000, 10);
    await stopOn(clock, engine);
    const tags = sink.records.map((r) => r.meta.tags.join());
    expect(tags[0]).toBe('');
    expect(tags[tags.length - 1]).toBe('line-3');
  });

  it('a board whose address changed reconnects; its entries restart', async () => {
    const { clock, sink, engine } = setup();
    const e = entry('b', 'Analogs', ['A1'], 10);
    await engine.apply(plan([board('b', 'wave=square&period=100000&stream=0')], [e]));
    await run(clock, 1000, 5);
    const s = await engine.apply(plan([board('b', 'wave=saw&stream=0')], [e]));
    expect(s.changed).toEqual([e.key]);
    await run(clock, 1000, 5);
    await stopOn(clock, engine);
    const values = sink
      .readings(e.key)
      .map((r) => (r.data as Record<string, { value: number }>).A1!.value);
    expect(values.slice(0, 5).every((v) => v === 0 || v === 4095)).toBe(true);
    expect(values.slice(-5).some((v) => v !== 0 && v !== 4095)).toBe(true);
  });

  it('capture_disabled stops every collector and closes the boards; enabling starts again', async () => {
    const { clock, sink, engine, metrics } = setup();
    const e = entry('b', 'Analogs', ['A1'], 10);
    await engine.apply(plan([board('b')], [e]));
    await run(clock, 1000, 5);
    const n = sink.records.length;
    const s = await engine.apply(plan([board('b')], [e], { capture_disabled: true }));
    expect(s.removed).toEqual([e.key]);
    await run(clock, 2000, 5);
    expect(sink.records.length).toBe(n);
    expect(metrics.gauge('wharf_board_online', '').get({ board: 'b' })).toBe(0);
    await engine.apply(plan([board('b')], [e]));
    await run(clock, 1000, 5);
    await stopOn(clock, engine);
    expect(sink.records.length).toBeGreaterThan(n + 5);
  });

  it('unsupported methods and zero rates are listed as skipped, never scheduled', async () => {
    const { clock, sink, engine } = setup();
    const cam = {
      ...entry('b', 'Analogs', [], 1),
      key: 'b/camera/cam/ReadImage/',
      method: 'ReadImage',
      supported: false,
    };
    const s = await engine.apply(
      plan([board('b')], [cam, entry('b', 'Gpio', ['27'], 0), entry('ghost', 'Gpio', ['27'], 1)]),
    );
    expect(s.skipped.map((x) => x.why)).toEqual([
      'method ReadImage is not supported by any transport',
      'capture frequency 0 Hz',
      'board ghost is not in the plan',
    ]);
    expect(engine.status()).toEqual([]);
    await stopOn(clock, engine);
    expect(sink.records).toEqual([]);
  });

  it('a board refusing the streamed plan falls back to polling, and each failure shows as a gap', async () => {
    const clock = new FakeClock(1_000_000);
    const lines: import('../../../src/shared/logger.js').LogLine[] = [];
    const sink = new RecordingSink();
    const engine = new CaptureEngine({
      registry: defaultRegistry({ clock, logger: nullLogger }),
      sink,
      clock,
      logger: memoryLogger(lines),
      metrics: new Metrics(),
    });
    const good = entry('b', 'Analogs', ['A1'], 10);
    const bad = entry('b', 'Analogs', ['A9'], 10);
    await engine.apply(plan([board('b')], [good, bad]));
    await run(clock, 2000, 5);
    await stopOn(clock, engine);
    expect(
      lines.some(
        (l) =>
          l.level === 'error' &&
          /refused the sampling plan/.test(l.msg) &&
          /no analog reader 'A9'/.test(String(l.obj.err)),
      ),
    ).toBe(true);
    expect(sink.readings(good.key).length).toBeGreaterThanOrEqual(19);
    expect(sink.readings(bad.key)).toEqual([]);
    const gaps = sink.gaps(bad.key);
    expect(
      gaps.every((g) => g.reason === 'read_error' && /no analog reader 'A9'/.test(g.detail ?? '')),
    ).toBe(true);
    expect(gaps.reduce((a, g) => a + g.count, 0)).toBeGreaterThanOrEqual(19);
  });

  it('after a restart, the time since the last durable record is one capture_stopped gap', async () => {
    const clock = new FakeClock(1_000_000);
    const sink = new RecordingSink();
    const e = entry('b', 'Analogs', ['A1'], 10);
    const last = clock.now() - 5_000; // last record on disk 5 s ago
    const engine = new CaptureEngine({
      registry: defaultRegistry({ clock, logger: nullLogger }),
      sink,
      clock,
      logger: nullLogger,
      resume: new Map([[e.key, last]]),
    });
    await engine.apply(plan([board('b', 'stream=0')], [e]));
    await run(clock, 500, 5);
    await stopOn(clock, engine);
    const g = sink.gaps(e.key);
    expect(g).toHaveLength(1);
    // Ticks last+100 … last+5000 (= now) did not run; the grid continues at now+100.
    expect(g[0]).toMatchObject({
      reason: 'capture_stopped',
      start: last + 100,
      end: 1_000_000,
      count: 50,
    });
    expect(sink.records[0]!.rec.kind).toBe('gap');
    expect(sink.readings(e.key)[0]!.time_requested).toBeCloseTo(1_000_100, 6);
  });

  it('exposes counters in Prometheus text', async () => {
    const { clock, engine, metrics } = setup();
    await engine.apply(
      plan([board('b', 'stream=0&fail=0.5&seed=2')], [entry('b', 'Analogs', ['A1'], 10)]),
    );
    await run(clock, 2000, 5);
    await stopOn(clock, engine);
    const text = await metrics.render();
    expect(text).toMatch(/^# TYPE wharf_readings_total counter$/m);
    expect(text).toMatch(/^wharf_readings_total\{board="b",method="Analogs"\} \d+$/m);
    expect(text).toMatch(/^wharf_gaps_total\{board="b",reason="read_error"\} \d+$/m);
    expect(text).toMatch(/^wharf_read_errors_total\{board="b",code="BOARD_PROTOCOL"\} \d+$/m);
    expect(text).toMatch(/^wharf_board_connects_total\{board="b",result="ok"\} 1$/m);
    expect(text).toMatch(/^wharf_plan_applies_total\{result="ok"\} 1$/m);
  });
});
