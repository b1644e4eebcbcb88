/**
 * Frame routing of a protocol board, for the `hi` frame: an unsolicited `hi` while connecting is the
 * board announcing itself (a pending hello is asked again), while online it is a reboot; a `hi` with
 * an id is an answer — also when nobody waits for it any more — and never either of those.
 */
import { describe, expect, it } from 'vitest';
import type { BoardState } from '../../../src/boards/board.js';
import { ClockMap } from '../../../src/boards/protocol/clock-map.js';
import { FrameRouter } from '../../../src/boards/protocol/frame-router.js';
import { RequestChannel } from '../../../src/boards/protocol/request-channel.js';
import { StreamIntake } from '../../../src/boards/protocol/stream-intake.js';
import { LinkStats } from '../../../src/boards/protocol/values.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';

function rig(state: BoardState) {
  const clock = new FakeClock(1_000_000);
  const stats = new LinkStats();
  const sent: Record<string, unknown>[] = [];
  const channel = new RequestChannel(clock, 'b1', 'test', stats, () => ({
    send: (f) => void sent.push(JSON.parse(f) as Record<string, unknown>),
    close: async () => undefined,
  }));
  const intake = new StreamIntake('b1', new ClockMap(), clock, stats, nullLogger, () => new Map(), {
    resend: () => undefined,
    batch: () => undefined,
    gap: () => undefined,
    bad: () => undefined,
    stepped: () => undefined,
  });
  const reboots: string[] = [];
  const router = new FrameRouter({
    stats,
    intake,
    channel,
    state: () => state,
    reboot: (why) => reboots.push(why),
    bad: () => undefined,
  });
  const announced: number[] = [];
  router.onAnnounce((hi) => announced.push(hi.clk));
  return { clock, stats, channel, sent, router, reboots, announced };
}

const hi = (clk: number, id?: number) =>
  JSON.stringify({
    t: 'hi',
    v: 1,
    bid: 'b1',
    fw: 'x',
    clk,
    caps: { hz: 100, st: 1 },
    ...(id === undefined ? {} : { id }),
  });

describe('FrameRouter: hi', () => {
  it('while connecting, an unsolicited hi is an announcement, not a reboot', () => {
    const r = rig('connecting');
    r.router.route(hi(500));
    expect(r.announced).toEqual([500]);
    expect(r.reboots).toEqual([]);
  });

  it('while online, an unsolicited hi is a reboot, not an announcement', () => {
    const r = rig('online');
    r.router.route(hi(600));
    expect(r.reboots).toHaveLength(1);
    expect(r.announced).toEqual([]);
  });

  it('a hi with an id answers its hello; one nobody waits for is a late answer, in any state', async () => {
    for (const state of ['connecting', 'online'] as const) {
      const r = rig(state);
      const answer = r.channel.request({ t: 'hello', v: 1 }, 1000);
      const id = r.sent[0]!.id as number;
      r.router.route(hi(700, id));
      await expect(answer).resolves.toMatchObject({ t: 'hi', clk: 700 });
      r.router.route(hi(701, id)); // the same id again: nobody waits for it
      r.router.route(hi(702, id + 40)); // an id never asked (a given-up hello's answer)
      expect(r.stats.lateAnswers).toBe(2);
      expect(r.announced).toEqual([]);
      expect(r.reboots).toEqual([]);
    }
  });

  it('an unsubscribed listener hears nothing more', () => {
    const r = rig('connecting');
    const heard: number[] = [];
    const off = r.router.onAnnounce((f) => heard.push(f.clk));
    r.router.route(hi(1));
    off();
    r.router.route(hi(2));
    expect(heard).toEqual([1]);
  });
});
