/**
 * The reconnect test's accounting (hil/reconnect-check.ts) on made-up captures: a sample is
 * identified by the board's numbering (batch and index, through the frame it arrived in), so a
 * clock map off by more than half a period still names the right sample, and what was invented,
 * captured twice or lost is still found.
 */
import { describe, expect, it } from 'vitest';
import type { SentSample } from './bench/uplink-tally.js';
import { account, sampleTimes, type Reading } from './reconnect-check.js';

const P = 50;
const T0 = 1_000_000;
const at = (i: number) => T0 + i * P;
const window = { from: T0, to: T0 + 400 * P };
/** Samples 0..299 in batches of 2 (a backlog of 20 in one batch at 100..119), none of `skip`. */
function board(skip: (i: number) => boolean = () => false): SentSample[][] {
  const batches: number[][] = [];
  for (let i = 0; i < 300;) {
    const size = i === 100 ? 20 : 2;
    batches.push(Array.from({ length: size }, (_, k) => i + k).filter((x) => !skip(x)));
    i += size;
  }
  return batches
    .filter((b) => b.length > 0)
    .map((b, s) =>
      b.map((i, index) => ({
        at: at(i),
        sentAt: at(i) + 5,
        batch: `a#${s}`,
        index,
        size: b.length,
      })),
    );
}
/** Each batch delivered in one frame, mapped `err(i)` ms off. */
const capture = (batches: SentSample[][], err: (i: number) => number): Reading[] =>
  batches.flatMap((b, s) =>
    b.map((x) => {
      const i = Math.round((x.at - T0) / P);
      return { t: x.at + err(i), rx: T0 + s * 100 + 7 };
    }),
  );
const evicted = (i: number) => i >= 150 && i < 170;

describe('reconnect accounting', () => {
  it('names the right sample when the clock map is off by more than half a period', () => {
    const batches = board(evicted);
    const sent = batches.flat();
    // mapped 2 ms late, then 28 ms late (a first estimate after a restart), then 27 ms early
    const readings = capture(batches, (i) => (i < 100 ? 2 : i < 200 ? 28 : -27));
    const a = account(window, readings, [], sent, P);
    expect(a).toMatchObject({ sent: 280, captured: 280, invented: 0, duplicates: 0, lost: 0 });
    expect(a.mapErrorMs).toBeCloseTo(28, 6);
    expect(sampleTimes(readings, sent, P)).toEqual(sent.map((x) => x.at));
  });

  it('finds a reading no sample explains, a frame captured twice, and a lost sample', () => {
    const batches = board(evicted);
    const readings = capture(batches, () => 28).filter((r) => r.t !== at(42) + 28); // 42 lost
    readings.push({ t: at(80) + 30, rx: 1 }, { t: at(81) + 30, rx: 1 }); // 80, 81 again
    readings.push({ t: at(160) + 10, rx: 2 }); // evicted unsent: nothing the board sent is there
    const a = account(window, readings, [], batches.flat(), P);
    expect(a).toMatchObject({ invented: 1, duplicates: 2, lost: 1 });
    expect(a.examples.join()).toContain(`sample ${at(42).toFixed(1)} not captured`);
  });

  it('counts a sample sent and not captured under a backlog_overflow gap as evicted, not lost', () => {
    const batches = board();
    const readings = capture(batches, () => 26).filter(
      (r) => !evicted(Math.round((r.t - 26 - T0) / P)),
    );
    const gap = { reason: 'backlog_overflow', start: at(150) + 26, end: at(169) + 26, count: 20 };
    const a = account(window, readings, [gap], batches.flat(), P);
    expect(a).toMatchObject({ lost: 0, lostEvicted: 20, invented: 0, duplicates: 0 });
    expect(account(window, readings, [], batches.flat(), P).lost).toBe(20);
  });

  it('a sample sent just inside a window whose reading is mapped just outside it is delivered, not lost', () => {
    const batches = board();
    const readings = capture(batches, () => 20); // every reading mapped 20 ms late
    // the window ends 10 ms after sample 99 was sent: its reading lands 10 ms past the end
    const w = { from: T0, to: at(99) + 10 };
    const a = account(w, readings, [], batches.flat(), P);
    expect(a).toMatchObject({ lost: 0, invented: 0, duplicates: 0, sent: 100, captured: 99 });
    // and a sample really not captured in that window still is lost
    const without = readings.filter((r) => r.t !== at(99) + 20);
    expect(account(w, without, [], batches.flat(), P).lost).toBe(1);
  });
});
