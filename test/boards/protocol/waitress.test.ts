import { describe, expect, it } from 'vitest';
import { Waitress } from '../../../src/boards/protocol/waitress.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { WharfError } from '../../../src/shared/errors.js';

describe('waitress', () => {
  it('an answer delivered synchronously during the write is not missed (waiter registered first)', async () => {
    const w = new Waitress(new FakeClock());
    const p = w.request(
      { t: 'ping', g: 1 },
      100,
      (f) => void w.answer(f.id as number, { t: 'pong', id: f.id as number, g: 1, clk: 5 }),
      'b1',
    );
    await expect(p).resolves.toEqual({ t: 'pong', id: 1, g: 1, clk: 5 });
    expect(w.pending).toBe(0);
  });

  it('times out with BOARD_TIMEOUT; a late answer is reported as unmatched; ids are distinct', async () => {
    const clock = new FakeClock();
    const w = new Waitress(clock);
    const ids: number[] = [];
    const p = w.request(
      { t: 'read', m: 'A', r: ['A1'] },
      50,
      (f) => void ids.push(f.id as number),
      'b1',
    );
    const q = w.request(
      { t: 'read', m: 'A', r: ['A1'] },
      500,
      (f) => void ids.push(f.id as number),
      'b1',
    );
    clock.advance(60);
    await expect(p).rejects.toMatchObject({ code: 'BOARD_TIMEOUT' });
    expect(w.answer(ids[0]!, { t: 'val', id: ids[0]!, clk: 0, v: [1] })).toBe(false);
    expect(ids[0]).not.toBe(ids[1]);
    w.rejectAll(new WharfError('BOARD_DISCONNECTED', 'gone'));
    await expect(q).rejects.toMatchObject({ code: 'BOARD_DISCONNECTED' });
  });

  it('a failing write rejects the request and leaves nothing pending', async () => {
    const w = new Waitress(new FakeClock());
    const p = w.request(
      { t: 'hello', v: 1 },
      100,
      () => {
        throw new WharfError('BOARD_DISCONNECTED', 'port closed');
      },
      'b1',
    );
    await expect(p).rejects.toMatchObject({ code: 'BOARD_DISCONNECTED' });
    expect(w.pending).toBe(0);
  });

  it('an aborted wait rejects with the reason at once, its timer is gone, a later answer is unmatched', async () => {
    const clock = new FakeClock();
    const w = new Waitress(clock);
    const ids: number[] = [];
    const stop = new AbortController();
    const p = w.request(
      { t: 'hello', v: 1 },
      1000,
      (f) => void ids.push(f.id as number),
      'b1',
      stop.signal,
    );
    stop.abort(new Error('board announced'));
    await expect(p).rejects.toThrow('board announced');
    expect(w.pending).toBe(0);
    clock.advance(2000); // the timeout must not fire into a settled request
    expect(
      w.answer(ids[0]!, {
        t: 'hi',
        id: ids[0]!,
        v: 1,
        bid: 'b1',
        fw: 'x',
        clk: 1,
        caps: { hz: 1, st: 1 },
      }),
    ).toBe(false);
    // already aborted: nothing is written
    const q = w.request(
      { t: 'hello', v: 1 },
      1000,
      (f) => void ids.push(f.id as number),
      'b1',
      stop.signal,
    );
    await expect(q).rejects.toThrow('board announced');
    expect(ids).toHaveLength(1);
    // an answered request is not disturbed by a later abort
    const later = new AbortController();
    const r = w.request(
      { t: 'ping', g: 2 },
      1000,
      (f) => void ids.push(f.id as number),
      'b1',
      later.signal,
    );
    expect(w.answer(ids[1]!, { t: 'pong', id: ids[1]!, g: 2, clk: 9 })).toBe(true);
    later.abort(new Error('too late'));
    await expect(r).resolves.toMatchObject({ t: 'pong', g: 2 });
  });
});
