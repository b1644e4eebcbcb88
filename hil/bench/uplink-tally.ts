/**
 * What an emulated board sent towards the gateway, frame by frame (EmulatedBoard `onUplink`): every
 * streamed sample once (by entry key and sequence number, a re-sent batch counts once) with its
 * host wall-clock time, and the losses it reported itself (`backlog_overflow` gap frames).
 */
export interface SentSample {
  /** host ms of the sample's scheduled instant (board clock → host clock, no drift in the emulator) */
  at: number;
  /** host ms when the frame carrying it was first written */
  sentAt: number;
  /** the board's numbering: batch `k#s` and the sample's index in it, of `size` samples */
  batch: string;
  index: number;
  size: number;
}

export class UplinkTally {
  private readonly batches = new Map<string, SentSample[]>();
  private readonly overflow = new Map<string, { n: number; t0: number; t1: number }>();
  private buf = '';

  constructor(private readonly toHostMs: (boardMs: number) => number) {}

  /** Feed one write (serial may split or join lines; MQTT gives one frame per call). */
  feed(text: string, mqtt: boolean): void {
    if (mqtt) return this.frame(text);
    this.buf += text;
    let i = this.buf.indexOf('\n');
    while (i >= 0) {
      this.frame(this.buf.slice(0, i).replace(/\r$/, ''));
      this.buf = this.buf.slice(i + 1);
      i = this.buf.indexOf('\n');
    }
    if (this.buf.length > 4096) this.buf = '';
  }

  /** Every distinct sample sent, in time order. */
  samples(): SentSample[] {
    return [...this.batches.values()].flat().sort((a, b) => a.at - b.at);
  }

  /** Backlog overflow the board reported: samples and host-time span per gap frame (each once). */
  evicted(): { n: number; from: number; to: number }[] {
    return [...this.overflow.values()].map((g) => ({
      n: g.n,
      from: this.toHostMs(g.t0),
      to: this.toHostMs(g.t1),
    }));
  }

  /**
   * Whether a sample taken after host time `t` went out within `liveMs` of being taken: the board's
   * backlog (first in, first out) is drained.
   */
  liveSince(t: number, liveMs: number): boolean {
    for (const s of this.latest) if (s.at > t && s.sentAt - s.at < liveMs) return true;
    return false;
  }

  private latest: SentSample[] = [];

  private frame(line: string): void {
    if (!line.startsWith('{')) return;
    let f: {
      t?: string;
      k?: string;
      s?: number;
      t0?: number;
      dt?: number;
      v?: unknown[];
      why?: string;
      n?: number;
      t1?: number;
    };
    try {
      f = JSON.parse(line) as typeof f;
    } catch {
      return;
    }
    const now = Date.now();
    if (f.t === 'b' && typeof f.k === 'string' && typeof f.s === 'number' && Array.isArray(f.v)) {
      const id = `${f.k}#${f.s}`;
      if (this.batches.has(id)) return;
      const size = f.v.length;
      const list: SentSample[] = f.v.map((_, i) => ({
        at: this.toHostMs((f.t0 as number) + i * (f.dt as number)),
        sentAt: now,
        batch: id,
        index: i,
        size,
      }));
      this.batches.set(id, list);
      this.latest.push(...list);
      if (this.latest.length > 200) this.latest.splice(0, this.latest.length - 200);
    } else if (f.t === 'gap' && f.why === 'backlog_overflow' && typeof f.n === 'number') {
      this.overflow.set(`${f.k}|${f.t0}`, { n: f.n, t0: f.t0 as number, t1: f.t1 as number });
    }
  }
}
