/**
 * Property: no gap record runs backwards (start ≤ end, count ≥ 0), whatever a board delivers —
 * batches on or off its grid, holes of any length (a hole of 1.6 periods once ended a `missed_ticks`
 * span 46 ms before it started), board gap reports that overlap what is recorded, gateway restarts.
 * EntryOutput asserts it where the record is made (it throws); this drives the makers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BoardGap } from '../../../src/boards/board.js';
import { ClockMap } from '../../../src/boards/protocol/clock-map.js';
import { StreamDecoder } from '../../../src/boards/protocol/stream-decoder.js';
import { CaptureMetrics } from '../../../src/capture/capture-metrics.js';
import { StreamedCollector } from '../../../src/capture/collector-streamed.js';
import { EntryOutput, assertSpan } from '../../../src/capture/entry-output.js';
import type { CaptureRecord, GapRecord } from '../../../src/shared/record.js';

const META = {
  part_id: 'p',
  machine: 'm',
  component_type: 'board',
  component_name: 'b',
  method_name: 'Analogs',
  additional_parameters: {},
  tags: [],
};

type Step =
  | { t: 'batch'; seq: number; advance: number; n: number }
  | { t: 'gap'; back: number; len: number }
  | { t: 'offline' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    t: fc.constant('batch' as const),
    seq: fc.integer({ min: 0, max: 40 }),
    // in periods, fractional and sometimes backwards (re-sent, clock corrections)
    advance: fc.double({ min: -3, max: 40, noNaN: true }),
    n: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({
    t: fc.constant('gap' as const),
    back: fc.double({ min: -5, max: 20, noNaN: true }),
    len: fc.integer({ min: 0, max: 30 }),
  }),
  fc.record({ t: fc.constant('offline' as const) }),
);

describe('gap records never run backwards', () => {
  it('assertSpan refuses a backwards span or a negative count', () => {
    expect(() => assertSpan('missed_ticks', 10, 9.9, 1)).toThrow(/backwards/);
    expect(() => assertSpan('missed_ticks', 10, 10, -1)).toThrow(/backwards/);
    expect(() => assertSpan('missed_ticks', 10, 10, 0)).not.toThrow();
  });

  it('streamed collection: holes, board reports and restarts give start ≤ end', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(10, 20, 50, 100, 200),
        fc.option(fc.double({ min: -50, max: 50, noNaN: true }), { nil: undefined }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        (hz, restartAt, steps) => {
          const period = 1000 / hz;
          const recs: CaptureRecord[] = [];
          const out = new EntryOutput(
            'k',
            'b',
            META,
            { append: (_k, _m, r) => void recs.push(r) },
            new CaptureMetrics(),
            1000,
            period,
          );
          const c = new StreamedCollector(hz, out, new CaptureMetrics());
          if (restartAt !== undefined) c.resumeAfter(restartAt);
          let t = 0;
          for (const s of steps) {
            if (s.t === 'offline') c.markOffline();
            else if (s.t === 'gap') {
              const start = t - s.back * period;
              const g: BoardGap = {
                reason: 'backlog_overflow',
                start,
                end: start + s.len * period,
                count: s.len + 1,
              };
              c.onBoardGap(g);
            } else {
              t += s.advance * period;
              c.onBatch({
                key: 'k',
                seq: s.seq,
                samples: Array.from({ length: s.n }, (_, i) => ({
                  timeRequested: t + i * period,
                  timeReceived: t + i * period + 5,
                  data: {},
                })),
              });
              t += (s.n - 1) * period;
            }
          }
          out.flushGap();
          for (const r of recs.filter((x): x is GapRecord => x.kind === 'gap')) {
            expect(r.end).toBeGreaterThanOrEqual(r.start);
            expect(r.count).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('reboot gaps of the protocol engine end at the moment noticed, never before their start', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -5000, max: 5000, noNaN: true }),
        fc.double({ min: 1, max: 500, noNaN: true }),
        (nowOffset, hz) => {
          const map = new ClockMap();
          map.add({ clk: 0, sendMs: 1_000_000, recvMs: 1_000_002 }, true);
          const d = new StreamDecoder(map, () => new Map([['A1', [0, 3.3, 0.001]]]));
          d.setPlan([{ key: 'e', method: 'Analogs', readers: ['A1'], hz, mode: 'streamed' }]);
          const k = d.planFrame(100).e[0]!.k;
          d.batch({ t: 'b', k, s: 0, t0: 10_000, dt: 1000 / hz, v: [[1], [2]] }, 0);
          for (const g of d.rebootGaps(1_010_000 + nowOffset, 'test')) {
            expect(g.end).toBeGreaterThanOrEqual(g.start);
            expect(g.count).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
