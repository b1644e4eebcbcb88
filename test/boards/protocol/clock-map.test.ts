import { describe, expect, it } from 'vitest';
import { ClockMap } from '../../../src/boards/protocol/clock-map.js';
import { prng } from '../../../src/boards/sim-options.js';

/** A board whose clock runs `ppm` fast and started at gateway time `boot`. */
function board(ppm: number, boot: number, clkStart: number) {
  return {
    clkAt: (gw: number) => (gw - boot) * (1 + ppm / 1e6) + clkStart,
    gwAt: (clk: number) => (clk - clkStart) / (1 + ppm / 1e6) + boot,
  };
}

describe('clock mapping', () => {
  it('tracks offset and 150 ppm drift to within 0.2 ms over 5 minutes despite jittery round trips', () => {
    const rnd = prng(7);
    const b = board(150, 1.764e12, 123_456);
    const m = new ClockMap();
    let worst = 0;
    for (let t = 0; t < 300_000; t += 2000) {
      const send = 1.764e12 + 10_000 + t;
      const up = 0.3 + rnd() * 0.2;
      const down = 0.3 + rnd() * 0.2;
      // every 5th exchange is delayed 20 ms on the way back (queued behind a batch)
      const late = (t / 2000) % 5 === 4 ? 20 : 0;
      m.add({ sendMs: send, clk: b.clkAt(send + up), recvMs: send + up + down + late });
      if (t > 10_000) {
        const clk = b.clkAt(send + 1000);
        worst = Math.max(worst, Math.abs(m.toGateway(clk) - b.gwAt(clk)));
      }
    }
    expect(worst).toBeLessThan(0.2);
    expect(m.estimate().driftPpm).toBeGreaterThan(100);
    expect(m.estimate().driftPpm).toBeLessThan(200);
  });

  it('slews: a better estimate moves mapped time by at most 1 ms per exchange, then converges', () => {
    const m = new ClockMap();
    // Truth: board clk 10 000 ↔ gateway 0. A first exchange with a slow, asymmetric trip: 16 ms off.
    m.add({ sendMs: 0, clk: 10_000 - 8, recvMs: 16 });
    const err = (clk: number) => m.toGateway(clk) - (clk - 10_000);
    expect(err(10_000)).toBeCloseTo(16, 6);
    const seen: number[] = [];
    for (let i = 1; i <= 20; i++) {
      m.add({ sendMs: i * 100, clk: 10_000 + i * 100 + 0.1, recvMs: i * 100 + 0.2 }); // good exchanges
      seen.push(err(10_000 + i * 100));
    }
    for (let i = 1; i < seen.length; i++)
      expect(Math.abs(seen[i]! - seen[i - 1]!)).toBeLessThanOrEqual(1.0001);
    expect(Math.abs(seen[seen.length - 1]!)).toBeLessThan(0.05);
    // At a handshake (free) the estimate is taken at once.
    const h = new ClockMap();
    h.add({ sendMs: 0, clk: 10_000 - 8, recvMs: 16 });
    h.add({ sendMs: 100, clk: 10_100.1, recvMs: 100.2 }, true);
    expect(Math.abs(h.toGateway(10_100) - 100)).toBeLessThan(0.05);
  });

  it('clamps an absurd drift estimate and detects a clock that stepped back (reboot)', () => {
    const m = new ClockMap();
    m.add({ sendMs: 0, clk: 50_000, recvMs: 1 });
    m.add({ sendMs: 3000, clk: 60_000, recvMs: 3001 }); // 7 s of board time in 3 s: nonsense
    expect(Math.abs(m.estimate().driftPpm)).toBeLessThanOrEqual(1000);
    expect(m.isStep(59_500)).toBe(false);
    expect(m.isStep(300)).toBe(true);
    m.reset();
    expect(m.isStep(300)).toBe(false);
    expect(m.synced).toBe(false);
  });
});
