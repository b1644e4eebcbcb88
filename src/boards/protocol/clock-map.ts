/**
 * Maps a board's clock (ms since its boot) to gateway time (ms epoch) from ping/pong exchanges.
 *
 * Each exchange gives (gateway send, gateway receive, board clk). Assuming a symmetric link, the
 * board read its clock at gateway time (send + recv) / 2, so offset = mid − clk. Exchanges with a
 * round trip much longer than the best recent one (queued behind a batch, scheduler hiccup) are
 * ignored. Offset and drift are a least-squares line through the kept exchanges of a sliding
 * window: gateway = clk + offset + drift·(clk − clkRef). Drift is clamped to ±1000 ppm (a
 * crystal is within ±100 ppm; more means a bad estimate, not a bad crystal).
 *
 * The mapping is slewed, not stepped: a new estimate moves the mapped time at the latest exchange
 * by at most `maxSlewMs` per exchange (1 ms every 2 s), so consecutive samples never jump and a
 * 500 Hz stream keeps its grid; only a gross disagreement (> `stepMs`, e.g. a bad first estimate
 * on a loaded host) is applied at once.
 *
 * A reboot shows as the board clock stepping backwards: `isStep(clk)` says so.
 */
export interface ClockSample {
  clk: number;
  sendMs: number;
  recvMs: number;
}

export interface ClockMapOptions {
  window?: number;
  /** Exchanges with rtt > bestRtt * rttFactor + rttSlackMs are not used. */
  rttFactor?: number;
  rttSlackMs?: number;
  maxDriftPpm?: number;
  /** A board clock this far below the highest clk seen is a reboot. */
  stepBackMs?: number;
  /** Largest change of the mapped time per exchange while slewing (ms). */
  maxSlewMs?: number;
  /** A disagreement larger than this is applied at once (ms). */
  stepMs?: number;
}

export class ClockMap {
  private samples: { clk: number; off: number; rtt: number }[] = [];
  private offset = 0;
  private drift = 0;
  private clkRef = 0;
  private maxClk = -Infinity;
  private readonly o: Required<ClockMapOptions>;

  constructor(opts: ClockMapOptions = {}) {
    this.o = {
      window: opts.window ?? 32,
      rttFactor: opts.rttFactor ?? 1.5,
      rttSlackMs: opts.rttSlackMs ?? 0.5,
      maxDriftPpm: opts.maxDriftPpm ?? 1000,
      stepBackMs: opts.stepBackMs ?? 1000,
      maxSlewMs: opts.maxSlewMs ?? 1,
      stepMs: opts.stepMs ?? 20,
    };
  }

  get synced(): boolean {
    return this.samples.length > 0;
  }

  get count(): number {
    return this.samples.length;
  }

  /** Current estimate, for status and tests. driftPpm > 0: the board clock runs fast. */
  estimate(): { offsetMs: number; driftPpm: number; bestRttMs: number; samples: number } {
    const best = this.samples.reduce((m, s) => Math.min(m, s.rtt), Infinity);
    return {
      offsetMs: this.offset,
      driftPpm: -this.drift * 1e6,
      bestRttMs: best,
      samples: this.samples.length,
    };
  }

  /** True when `clk` is far below a clock value seen before: the board restarted. */
  isStep(clk: number): boolean {
    return clk < this.maxClk - this.o.stepBackMs;
  }

  /** Note a board clock value seen in any frame (for step detection). */
  see(clk: number): void {
    if (clk > this.maxClk) this.maxClk = clk;
  }

  reset(): void {
    this.samples = [];
    this.offset = 0;
    this.drift = 0;
    this.maxClk = -Infinity;
  }

  /** Add an exchange. `free`: apply the new estimate at once (handshake, before any sample flows). */
  add(s: ClockSample, free = false): void {
    const rtt = s.recvMs - s.sendMs;
    if (!(rtt >= 0)) return;
    this.see(s.clk);
    const first = this.samples.length === 0;
    this.samples.push({ clk: s.clk, off: (s.sendMs + s.recvMs) / 2 - s.clk, rtt });
    if (this.samples.length > this.o.window) this.samples.shift();
    const current = this.toGateway(s.clk);
    this.fit();
    if (first || free) return;
    const delta = this.toGateway(s.clk) - current;
    if (Math.abs(delta) > this.o.stepMs || Math.abs(delta) <= this.o.maxSlewMs) return;
    // Slew: keep the new drift, move the mapped time at this clk by at most maxSlewMs.
    const limited = current + Math.sign(delta) * this.o.maxSlewMs;
    this.offset = limited - s.clk - this.drift * (s.clk - this.clkRef);
  }

  /** Board clk → gateway ms. Before any exchange, offset 0 (callers wait for `synced`). */
  toGateway(clk: number): number {
    return clk + this.offset + this.drift * (clk - this.clkRef);
  }

  private fit(): void {
    const best = this.samples.reduce((m, s) => Math.min(m, s.rtt), Infinity);
    const limit = best * this.o.rttFactor + this.o.rttSlackMs;
    const kept = this.samples.filter((s) => s.rtt <= limit);
    const n = kept.length;
    let mx = 0;
    let my = 0;
    for (const s of kept) {
      mx += s.clk;
      my += s.off;
    }
    mx /= n;
    my /= n;
    let sxx = 0;
    let sxy = 0;
    for (const s of kept) {
      sxx += (s.clk - mx) * (s.clk - mx);
      sxy += (s.clk - mx) * (s.off - my);
    }
    // Drift needs a time span; below ~2 s of span the slope is mostly noise.
    const span = n > 1 ? kept[n - 1]!.clk - kept[0]!.clk : 0;
    let d = span >= 2000 && sxx > 0 ? sxy / sxx : 0;
    const lim = this.o.maxDriftPpm / 1e6;
    d = Math.max(-lim, Math.min(lim, d));
    this.clkRef = mx;
    this.offset = my;
    this.drift = d;
  }
}
