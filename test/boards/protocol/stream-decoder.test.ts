import { describe, expect, it } from 'vitest';
import { ClockMap } from '../../../src/boards/protocol/clock-map.js';
import type { BatchFrame } from '../../../src/boards/protocol/messages.js';
import { StreamDecoder } from '../../../src/boards/protocol/stream-decoder.js';

function decoder(): StreamDecoder {
  const map = new ClockMap();
  map.add({ clk: 50_000, sendMs: 1_000_000, recvMs: 1_000_002 }, true);
  const d = new StreamDecoder(
    map,
    () => new Map([['A1', [0, 3.3, 0.0008] as [number, number, number]]]),
  );
  d.setPlan([{ key: 'p/A', method: 'Analogs', readers: ['A1'], hz: 50, mode: 'streamed' }]);
  key = d.planFrame(100).e[0]!.k;
  return d;
}
/** The plan key of the last decoder made (`<epoch>.1.0`). */
let key = '';
const b = (s: number, t0: number): BatchFrame => ({
  t: 'b',
  k: key,
  s,
  t0,
  dt: 20,
  v: [[1], [2]],
});

describe('StreamDecoder across a link timeout', () => {
  it('drops a batch whose sequence number was already delivered (the board re-sends its last lt ms), keeps the next one', () => {
    const d = decoder();
    expect(d.batch(b(0, 40_000), 0).ok).toBe(true);
    expect(d.batch(b(1, 40_040), 0).ok).toBe(true);
    expect(d.batch(b(1, 40_040), 0)).toEqual({ ok: false, repeat: true });
    expect(d.batch(b(0, 40_000), 0)).toEqual({ ok: false, repeat: true });
    const next = d.batch(b(2, 40_080), 0);
    expect(next.ok && next.batch.samples.map((x) => x.timeRequested)).toEqual([990_081, 990_101]);
  });

  it('a backlog batch far older than the newest board clock seen is data, not a reboot; a t0 stepping back within the entry is', () => {
    const d = decoder();
    // the mapping was made at clk 50 000; the backlog starts 10 s earlier
    expect(d.batch(b(0, 40_000), 0).ok).toBe(true);
    expect(d.batch(b(1, 40_040), 0).ok).toBe(true);
    expect(d.batch(b(2, 1_000), 0)).toEqual({ ok: false, stepped: true });
  });

  it('after a reboot the re-sent plan numbers from 0 again and is delivered', () => {
    const d = decoder();
    expect(d.batch(b(5, 40_000), 0).ok).toBe(true);
    d.rebootGaps(1_000_000, 'test');
    expect(d.batch(b(0, 200), 0).ok).toBe(true);
  });
});

describe('plan keys across gateway restarts', () => {
  const entry = {
    key: 'p/A',
    method: 'Analogs' as const,
    readers: ['A1'],
    hz: 50,
    mode: 'streamed' as const,
  };

  it('a plan key is <epoch>.<generation>.<index>, the epoch four base-36 digits drawn per decoder', () => {
    const epochs = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const d = new StreamDecoder(new ClockMap(), () => new Map());
      d.setPlan([entry]);
      const k = d.planFrame(100).e[0]!.k;
      expect(k).toMatch(/^[0-9a-z]{4}\.1\.0$/);
      epochs.add(k.split('.')[0]!);
    }
    // random: 20 draws of 1.6 million values are all different but for a 1-in-8,000 chance
    expect(epochs.size).toBeGreaterThan(18);
  });

  // A restarted gateway whose random epoch happens to be the previous process's (1 in 1.6 million
  // per restart), with a changed config: its new keys must not be the old ones, or a late batch of
  // the old plan would be decoded as a batch of the new one.
  const changed = { ...entry, readers: ['A1', 'A2'], hz: 20 };
  const board = [{ k: 'abcd.1.0', m: 'A' as const, r: ['A1'], hz: 50 }];
  const old = { t: 'b' as const, k: 'abcd.1.0', s: 3, t0: 40_000, dt: 20, v: [[1], [2]] };
  for (const how of ['adopt', 'carryOffered'] as const) {
    it(`never makes keys under the epoch of the plan the board reports (${how} then a new plan)`, () => {
      const draws = ['abcd', 'abcd', 'wxyz'];
      const d = new StreamDecoder(
        new ClockMap(),
        () => new Map(),
        () => draws.shift() ?? 'zzzz',
      );
      if (how === 'adopt') expect(d.adopt(board, [entry])).toBe(true);
      else d.carryOffered(board, [changed]);
      d.setPlan([changed]);
      const k = d.planFrame(100).e[0]!.k;
      expect(k).toBe('wxyz.1.0');
      expect(d.batch(old, 0)).toEqual({ ok: false, stale: true });
    });
  }

  it('keeps its own epoch when the board reports keys this decoder made (a link that came back)', () => {
    const d = new StreamDecoder(
      new ClockMap(),
      () => new Map(),
      () => 'k3x9',
    );
    d.setPlan([entry]);
    d.carryOffered([{ k: 'k3x9.1.0', m: 'A', r: ['A1'], hz: 50 }], [changed]);
    d.setPlan([changed]);
    expect(d.planFrame(100).e[0]!.k).toBe('k3x9.2.0');
  });

  it("draws are bounded: a source that keeps answering the board's epoch gets the next free one", () => {
    const d = new StreamDecoder(
      new ClockMap(),
      () => new Map(),
      () => 'abcd',
    );
    d.carryOffered(board, [changed]);
    d.setPlan([changed]);
    expect(d.planFrame(100).e[0]!.k).toBe('abce.1.0');
  });

  it('takes over the plan a board reports when it is exactly the wanted entries, and decodes its batches', () => {
    const d = decoder();
    expect(d.adopt([{ k: 'old.7.0', m: 'G', r: ['A1'], hz: 50 }], [entry]), 'method differs').toBe(
      false,
    );
    expect(d.adopt([{ k: 'old.7.0', m: 'A', r: ['A1'], hz: 20 }], [entry]), 'rate differs').toBe(
      false,
    );
    expect(d.adopt([{ k: 'old.7.0', m: 'A', r: ['A1'], hz: 50 }], [entry])).toBe(true);
    const r = d.batch({ t: 'b', k: 'old.7.0', s: 812, t0: 40_000, dt: 20, v: [[1], [2]] }, 0);
    expect(r.ok && r.batch.key).toBe('p/A');
    expect(r.ok && r.batch.seq).toBe(812);
    expect(d.batch({ t: 'b', k: key, s: 0, t0: 40_100, dt: 20, v: [[1]] }, 0)).toEqual({
      ok: false,
      stale: true,
    });
  });

  it('after a new plan, frames of the previous keys are still taken for the entries it keeps unchanged (the batch the board closes on the plan, a backlog); never for a changed one', () => {
    const d = decoder();
    const oldKey = key;
    const changed = { ...entry, key: 'p/G', method: 'Gpio' as const, readers: ['27'], hz: 10 };
    d.setPlan([entry, changed]);
    const [k1, k2] = d.planFrame(100).e.map((x) => x.k);
    expect(d.batch(b(40, 40_000), 0)).toMatchObject({ ok: true, batch: { key: 'p/A', seq: 40 } });
    expect(d.batch(b(40, 40_000), 0), 'still each sequence number once').toEqual({
      ok: false,
      repeat: true,
    });
    // the old-key batches and the new plan's batches of the same entry are told apart by key
    expect(d.batch({ ...b(0, 40_100), k: k1! }, 0)).toMatchObject({ ok: true, batch: { seq: 0 } });
    expect(d.has(k2!)).toBe(true);
    // a plan that changes the entry (rate): the old keys are stale
    d.setPlan([{ ...entry, hz: 25 }]);
    expect(d.has(oldKey)).toBe(false);
    expect(d.batch({ ...b(1, 40_140), k: k1! }, 0)).toEqual({ ok: false, stale: true });
  });

  it('carries the entries of an offered plan that match exactly into the next plan (gateway restart, config changed)', () => {
    const d = new StreamDecoder(new ClockMap(), () => new Map());
    const g = { ...entry, key: 'p/G', method: 'Gpio' as const, readers: ['27'], hz: 5 };
    const carried = d.carryOffered(
      [
        { k: 'old.3.0', m: 'A', r: ['A1'], hz: 50 },
        { k: 'old.3.1', m: 'G', r: ['27'], hz: 10 },
      ],
      [entry, g],
    );
    expect([...carried]).toEqual(['old.3.0']);
    d.setPlan([entry, g]);
    expect(d.has('old.3.0')).toBe(true);
    expect(d.has('old.3.1')).toBe(false);
  });
});
