/**
 * A protocol-faithful board for tests: speaks wire protocol v1 (docs/protocol.md) as the board side,
 * over any line I/O (a pty end, an MQTT client). Hardware values are scripted; the board clock can
 * run with an offset and a drift; batches can be dropped or repeated; the board can "reboot".
 */
import { performance } from 'node:perf_hooks';

export interface PeerOptions {
  bid: string;
  fw?: string;
  maxHz?: number;
  streamed?: boolean;
  /** Board clock = (elapsed ms since boot) × (1 + driftPpm/1e6) + clkStart. */
  driftPpm?: number;
  clkStart?: number;
  /** Send an unsolicited hi when attached (as a booting board does). */
  helloOnBoot?: boolean;
  /** Answer with protocol version (default 1). */
  version?: number;
  /**
   * Samples per batch message (benchmarks: a settable message size). The board then sends a batch
   * every `batchSamples` sample periods (or every `bms`, whichever is sooner), never more samples per
   * batch. Default: the firmware's rule (every `bms`, at most 50 samples and ~900 bytes).
   */
  batchSamples?: number;
}

export interface PeerPlanEntry {
  k: string;
  m: 'A' | 'G';
  r: string[];
  hz: number;
}

interface PeerStream {
  k: string;
  m: 'A' | 'G';
  r: string[];
  hz: number;
  anchor: number;
  next: number;
  seq: number;
}

export class TestPeer {
  readonly analog = new Map<string, number>();
  readonly pin = new Map<string, boolean>();
  private configured = new Map<string, string>();
  private pins = new Set<string>();
  private streams: PeerStream[] = [];
  private timer: NodeJS.Timeout | undefined;
  private bootAt = performance.now();
  private write: ((line: string) => void) | undefined;
  readonly received: Record<string, unknown>[] = [];
  /** Batches to swallow (simulated loss) / repeat, counted down per batch sent. */
  dropNext = 0;
  repeatNext = 0;
  sent = { batches: 0, samples: 0 };
  /** Board clock of each sent batch's first sample and spacing, by `${k}#${s}` (ground truth). */
  readonly sentBatches = new Map<string, { t0: number; dt: number }>();
  silent = false;

  constructor(readonly o: PeerOptions) {}

  clk(): number {
    const el = performance.now() - this.bootAt;
    return el * (1 + (this.o.driftPpm ?? 0) / 1e6) + (this.o.clkStart ?? 1000);
  }

  /** Gateway time (ms epoch, realClock's scale) at which the board clock read `clk`: the truth. */
  trueGatewayTime(clk: number): number {
    const el = (clk - (this.o.clkStart ?? 1000)) / (1 + (this.o.driftPpm ?? 0) / 1e6);
    return performance.timeOrigin + this.bootAt + el;
  }

  attach(write: (line: string) => void): void {
    this.write = write;
    if (this.o.helloOnBoot) this.send(this.hi());
  }

  detach(): void {
    this.write = undefined;
    this.stopTimer();
  }

  /** The board restarts: clock from zero, config and plan forgotten, unsolicited hi. */
  reboot(clkStart = 500): void {
    this.stopTimer();
    this.streams = [];
    this.configured.clear();
    this.pins.clear();
    this.bootAt = performance.now();
    this.o.clkStart = clkStart;
    this.send(this.hi());
  }

  sendRaw(text: string): void {
    this.write?.(text);
  }

  receive(line: string): void {
    let f: Record<string, unknown>;
    try {
      f = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    this.received.push(f);
    if (this.silent) return;
    const id = f.id as number;
    switch (f.t) {
      case 'hello':
        return this.send({ ...this.hi(), id });
      case 'cfg': {
        this.configured = new Map((f.a as [string, string][]).map(([n, p]) => [n, p]));
        this.pins = new Set(f.p as string[]);
        const a = [...this.configured.keys()].map((n) => [n, 0, 3.3, 3.3 / 4095]);
        return this.send({ t: 'ok', id, a, p: [...this.pins] });
      }
      case 'ping':
        return this.send({ t: 'pong', id, g: f.g, clk: this.clk() });
      case 'read': {
        const names = f.r as string[];
        const known = f.m === 'A' ? this.configured : this.pins;
        const missing = names.find((n) => !known.has(n));
        if (missing !== undefined)
          return this.send({
            t: 'err',
            id,
            code: f.m === 'A' ? 'unknown_reader' : 'unknown_pin',
            msg: missing,
          });
        return this.send({
          t: 'val',
          id,
          clk: this.clk(),
          v: names.map((n) => this.value(f.m as 'A' | 'G', n)),
        });
      }
      case 'plan': {
        if (this.o.streamed === false && (f.e as unknown[]).length > 0)
          return this.send({ t: 'err', id, code: 'bad_request', msg: 'no streaming' });
        this.send({ t: 'ok', id });
        this.stream(f.e as PeerPlanEntry[], (f.bms as number | undefined) ?? 100);
        return;
      }
      default:
        return;
    }
  }

  /** Starts streaming `entries` (what a `plan` does, without the exchange). */
  stream(entries: PeerPlanEntry[], bms: number): void {
    this.stopTimer();
    const now = this.clk();
    this.streams = entries.map((e) => ({ ...e, anchor: now, next: 0, seq: 0 }));
    const per = this.o.batchSamples;
    const every =
      per === undefined ? bms : Math.min(bms, ...entries.map((e) => (per * 1000) / e.hz));
    if (this.streams.length > 0) this.timer = setInterval(() => this.tick(), Math.max(1, every));
  }

  private value(m: 'A' | 'G', n: string): number {
    return m === 'A' ? (this.analog.get(n) ?? 0) : this.pin.get(n) === true ? 1 : 0;
  }

  private hi(): Record<string, unknown> {
    return {
      t: 'hi',
      v: this.o.version ?? 1,
      bid: this.o.bid,
      fw: this.o.fw ?? 'peer-0.1',
      clk: this.clk(),
      caps: { hz: this.o.maxHz ?? 1000, st: this.o.streamed === false ? 0 : 1 },
    };
  }

  private tick(): void {
    const now = this.clk();
    for (const s of this.streams) {
      const period = 1000 / s.hz;
      const last = Math.floor((now - s.anchor) / period);
      // With batchSamples, only whole batches: every message carries exactly that many samples.
      while (s.next + (this.o.batchSamples ?? 1) - 1 <= last) {
        // Like the firmware: at most 50 samples, and the line stays under ~900 bytes (limit 1024).
        const cap =
          this.o.batchSamples ?? Math.max(1, Math.min(50, Math.floor(900 / (s.r.length * 5 + 3))));
        const n = Math.min(cap, last - s.next + 1);
        const v: number[][] = [];
        for (let i = 0; i < n; i++) v.push(s.r.map((name) => this.value(s.m, name)));
        const frame = { t: 'b', k: s.k, s: s.seq++, t0: s.anchor + s.next * period, dt: period, v };
        s.next += n;
        if (this.dropNext > 0) {
          this.dropNext--;
          continue;
        }
        this.send(frame);
        if (this.sentBatches.size < 100_000)
          this.sentBatches.set(`${s.k}#${frame.s}`, { t0: frame.t0, dt: period });
        this.sent.batches++;
        this.sent.samples += n;
        if (this.repeatNext > 0) {
          this.repeatNext--;
          this.send(frame);
        }
      }
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private send(f: Record<string, unknown>): void {
    this.write?.(JSON.stringify(f));
  }
}
