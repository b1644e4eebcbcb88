/**
 * askHello: a board announcing itself while a hello waits gets the next hello at once (within the
 * attempt budget); the last attempt is not cut short; a version mismatch is refused.
 */
import { describe, expect, it } from 'vitest';
import { askHello } from '../../../src/boards/protocol/handshake.js';
import type { BoardFrame, GatewayRequest } from '../../../src/boards/protocol/messages.js';
import { Waitress } from '../../../src/boards/protocol/waitress.js';
import { FakeClock } from '../../../src/shared/clock.js';

const hiFrame = (id: number, v = 1): BoardFrame => ({
  t: 'hi',
  id,
  v,
  bid: 'b1',
  fw: 'x',
  clk: 10,
  caps: { hz: 100, st: 1 },
});

/** A real Waitress on a fake clock; the test plays the board. */
function rig() {
  const clock = new FakeClock(0);
  const w = new Waitress(clock);
  const sent: { id: number; at: number }[] = [];
  const listeners = new Set<() => void>();
  const ask = (req: GatewayRequest, signal?: AbortSignal) =>
    w.request(
      req,
      2000,
      (f) => void sent.push({ id: f.id as number, at: clock.now() }),
      'b1',
      signal,
    );
  const announced = (fn: () => void) => {
    listeners.add(fn);
    return () => void listeners.delete(fn);
  };
  const announce = () => {
    for (const fn of [...listeners]) fn();
  };
  const flush = () => new Promise((r) => setImmediate(r));
  return { clock, w, sent, ask, announced, announce, flush, listeners };
}

describe('askHello', () => {
  it('an announcement while a hello waits sends the next hello at once; the answer to it is taken', async () => {
    const r = rig();
    const hi = askHello(r.ask, 3, 'board b1', {}, r.announced);
    await r.flush();
    expect(r.sent).toHaveLength(1);
    r.clock.advance(300);
    r.announce();
    await r.flush();
    expect(r.sent.map((s) => s.at)).toEqual([0, 300]); // not after the 2 s timeout
    expect(r.w.answer(r.sent[0]!.id, hiFrame(r.sent[0]!.id))).toBe(false); // given up: late
    expect(r.w.answer(r.sent[1]!.id, hiFrame(r.sent[1]!.id))).toBe(true);
    await expect(hi).resolves.toMatchObject({ t: 'hi', v: 1 });
    expect(r.listeners.size).toBe(0);
  });

  it('the last attempt is not cut short, and it times out as before', async () => {
    const r = rig();
    const hi = askHello(r.ask, 2, 'board b1', {}, r.announced);
    hi.catch(() => undefined);
    await r.flush();
    r.announce(); // attempt 1 given up → attempt 2 (the last) at once
    await r.flush();
    expect(r.sent).toHaveLength(2);
    r.announce(); // ignored: nothing is cut short on the last attempt
    await r.flush();
    expect(r.sent).toHaveLength(2);
    r.clock.advance(2001);
    await expect(hi).rejects.toMatchObject({ code: 'BOARD_TIMEOUT' });
    expect(r.listeners.size).toBe(0);
  });

  it('refuses a board that speaks another protocol version', async () => {
    const r = rig();
    const hi = askHello(r.ask, 3, 'board b1', {}, r.announced);
    await r.flush();
    r.w.answer(r.sent[0]!.id, hiFrame(r.sent[0]!.id, 2));
    await expect(hi).rejects.toMatchObject({ code: 'BOARD_PROTOCOL' });
  });
});
