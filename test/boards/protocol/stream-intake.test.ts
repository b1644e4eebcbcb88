/**
 * Stream intake: a skipped sequence number is asked for again (`rs`) and what came after it waits,
 * in order, for up to RESEND_WAIT_MS; frames right behind a `hi` wait for the handshake's decision.
 */
import { describe, expect, it } from 'vitest';
import type { BoardGap, StreamBatch } from '../../../src/boards/board.js';
import { ClockMap } from '../../../src/boards/protocol/clock-map.js';
import type { BatchFrame } from '../../../src/boards/protocol/messages.js';
import { RESEND_WAIT_MS } from '../../../src/boards/protocol/resend-order.js';
import { StreamIntake } from '../../../src/boards/protocol/stream-intake.js';
import { LinkStats } from '../../../src/boards/protocol/values.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';

const entry = {
  key: 'p/A',
  method: 'Analogs' as const,
  readers: ['A1'],
  hz: 50,
  mode: 'streamed' as const,
};

function rig() {
  const clock = new FakeClock(1_000_000);
  const map = new ClockMap();
  map.add({ clk: 50_000, sendMs: 1_000_000, recvMs: 1_000_002 }, true);
  const got: number[] = [];
  const gaps: BoardGap[] = [];
  const resends: [string, number][] = [];
  const stats = new LinkStats();
  const intake = new StreamIntake(
    'b',
    map,
    clock,
    stats,
    nullLogger,
    () => new Map([['A1', [0, 3.3, 0.001]]]),
    {
      resend: (k, s) => resends.push([k, s]),
      batch: (b: StreamBatch) => got.push(b.seq),
      gap: (g) => gaps.push(g),
      bad: () => undefined,
      stepped: () => undefined,
    },
  );
  intake.decoder.setPlan([entry]);
  intake.setResendable(true);
  const k = intake.decoder.planFrame(100).e[0]!.k;
  const b = (s: number): BatchFrame => ({
    t: 'b',
    k,
    s,
    t0: 50_000 + s * 40,
    dt: 20,
    v: [[1], [2]],
  });
  return { clock, intake, got, gaps, resends, stats, k, b };
}

describe('StreamIntake re-send of a skipped sequence number', () => {
  it('asks the board once from the missing number and delivers in order when the hole is filled', () => {
    const r = rig();
    r.intake.batch(r.b(0));
    r.intake.batch(r.b(3));
    r.intake.batch(r.b(4));
    expect(r.got).toEqual([0]);
    expect(r.resends).toEqual([[r.k, 1]]);
    r.intake.batch(r.b(1));
    r.intake.batch(r.b(2));
    r.intake.batch(r.b(3)); // the board re-sends everything from 1 on: a repeat now
    expect(r.got).toEqual([0, 1, 2, 3, 4]);
    expect(r.stats.repeatedBatches).toBe(1);
  });

  it('a hole the re-send cannot fill (the board evicted part of it): after the wait, everything held is delivered in board-time order, the re-sent batches too', () => {
    const r = rig();
    r.intake.batch(r.b(0));
    r.intake.batch(r.b(6)); // 1..5 missing; the board evicted 1..2 and its report was swallowed
    expect(r.resends).toEqual([[r.k, 1]]);
    // the board re-sends its overflow report and what it still has (3..6), after batch 6
    r.intake.gap({
      t: 'gap',
      k: r.k,
      why: 'backlog_overflow',
      n: 4,
      t0: 50_040,
      t1: 50_100,
      s0: 1,
      s1: 2,
    });
    for (const s of [3, 4, 5, 6]) r.intake.batch(r.b(s));
    expect(r.got).toEqual([0]);
    r.clock.advance(RESEND_WAIT_MS + 1);
    expect(r.got).toEqual([0, 3, 4, 5, 6]);
    expect(r.gaps.map((g) => [g.reason, g.count])).toEqual([['backlog_overflow', 4]]);
  });

  it('holds nothing for a board that does not re-send (no caps.rs): the hole is a sequence gap at once', () => {
    const r = rig();
    r.intake.setResendable(false);
    r.intake.batch(r.b(0));
    r.intake.batch(r.b(2));
    expect(r.got).toEqual([0, 2]);
    expect(r.resends).toEqual([]);
  });

  it('delivers what it holds after the wait when the board cannot re-send (the hole stays a gap)', () => {
    const r = rig();
    r.intake.batch(r.b(0));
    r.intake.batch(r.b(2));
    expect(r.got).toEqual([0]);
    r.clock.advance(RESEND_WAIT_MS);
    expect(r.got).toEqual([0, 2]);
  });

  it('does not wait for batches the board reported evicted (backlog_overflow s0..s1)', () => {
    const r = rig();
    r.intake.batch(r.b(0));
    r.intake.gap({
      t: 'gap',
      k: r.k,
      why: 'backlog_overflow',
      n: 4,
      t0: 50_040,
      t1: 50_100,
      s0: 1,
      s1: 2,
    });
    r.intake.batch(r.b(3));
    expect(r.got).toEqual([0, 3]);
    expect(r.resends).toEqual([]);
    expect(r.gaps.map((g) => g.reason)).toEqual(['backlog_overflow']);
  });
});
