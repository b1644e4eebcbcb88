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
});
