/**
 * Streamed entries of the `sim` board: each entry is sampled on the sim's own schedule (absolute
 * deadlines on the injected clock from the entry's anchor) and delivered in batches every
 * `batchMs` (at most 50 samples a batch), with per-entry sequence numbers that restart at 0 on
 * every configure(). Unchanged entries keep sampling across configure() without a hole; a board
 * that fell far behind reports the excess as a backlog_overflow gap. The SimBoard owns the state
 * (online, latency, failure rate, randomness) and hands it in as a StreamHost.
 */
import { periodMs } from '../config/plan.js';
import type { BoardGap, SamplingEntry, StreamBatch, StreamedSample } from './board.js';
import type { Clock, TimerHandle } from '../shared/clock.js';
import type { SimHardware } from './sim-hardware.js';

const MAX_BATCH_SAMPLES = 50;
/** Samples a stream may owe after a stall before the excess is reported as backlog_overflow. */
const MAX_BACKLOG_SAMPLES = 5_000;

interface Stream {
  entry: SamplingEntry;
  anchor: number;
  next: number;
  seq: number;
  batchIndex: number;
  timer: TimerHandle | undefined;
  /** Bumped on every configure(): batches of an older plan still in flight are not delivered. */
  generation: number;
}

/** What the streams need from their board; read at the moment of use (they change at run time). */
export interface StreamHost {
  readonly id: string;
  readonly clock: Clock;
  readonly hw: SimHardware;
  readonly batchMs: number;
  latencyMs(): number;
  failRate(): number;
  rng(): number;
  online(): boolean;
  /** Counts delivered and lost batches (SimControl.counts). */
  counted(lost: boolean): void;
  emitBatch(batch: StreamBatch): void;
  emitGap(gap: BoardGap): void;
}

export class SimStreams {
  private readonly streams = new Map<string, Stream>();

  constructor(private readonly host: StreamHost) {}

  /** Makes the streamed entries of a new plan the running streams (entries already checked). */
  apply(streamed: SamplingEntry[]): void {
    const wanted = new Map(streamed.map((e) => [e.key, e]));
    for (const [key, s] of this.streams) {
      const w = wanted.get(key);
      if (
        w === undefined ||
        w.hz !== s.entry.hz ||
        w.method !== s.entry.method ||
        w.readers.join() !== s.entry.readers.join()
      ) {
        this.stop(s);
        this.streams.delete(key);
      }
    }
    const now = this.host.clock.now();
    for (const [key, e] of wanted) {
      const s = this.streams.get(key);
      if (s !== undefined) {
        s.seq = 0; // protocol: sequence numbers restart on every plan; sampling continues
        s.generation++;
        continue;
      }
      const stream: Stream = {
        entry: { ...e, readers: [...e.readers] },
        anchor: now,
        next: 0,
        seq: 0,
        batchIndex: 0,
        timer: undefined,
        generation: 0,
      };
      this.streams.set(key, stream);
      this.arm(stream);
    }
  }

  stopAll(): void {
    for (const s of this.streams.values()) this.stop(s);
    this.streams.clear();
  }

  private stop(s: Stream): void {
    if (s.timer !== undefined) this.host.clock.clearTimer(s.timer);
    s.timer = undefined;
  }

  private arm(s: Stream): void {
    const { clock, batchMs } = this.host;
    const due = s.anchor + (s.batchIndex + 1) * batchMs;
    s.timer = clock.setTimer(() => this.tick(s), Math.max(0, due - clock.now()));
  }

  private tick(s: Stream): void {
    const h = this.host;
    s.timer = undefined;
    if (this.streams.get(s.entry.key) !== s) return;
    const now = h.clock.now();
    const period = periodMs(s.entry.hz);
    // Samples due: indices next .. last with anchor + i*period <= now.
    const last = Math.floor(((now - s.anchor) * s.entry.hz) / 1000 + 1e-9);
    let owed = last - s.next + 1;
    if (owed > MAX_BACKLOG_SAMPLES) {
      const skip = owed - MAX_BACKLOG_SAMPLES;
      const start = s.anchor + s.next * period;
      s.next += skip;
      owed -= skip;
      h.emitGap({
        key: s.entry.key,
        reason: 'backlog_overflow',
        start,
        end: s.anchor + (s.next - 1) * period,
        count: skip,
        detail: `sim board ${h.id} fell behind`,
      });
    }
    while (owed > 0) {
      const n = Math.min(owed, MAX_BATCH_SAMPLES);
      const received = now + h.latencyMs();
      const samples: StreamedSample[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const t = s.anchor + (s.next + i) * period;
        samples[i] = {
          timeRequested: t,
          timeReceived: received,
          data: h.hw.sample(s.entry.method, s.entry.readers, t),
        };
      }
      s.next += n;
      owed -= n;
      const batch = { key: s.entry.key, seq: s.seq++, samples };
      if (h.failRate() > 0 && h.rng() < h.failRate()) {
        h.counted(true);
        continue;
      }
      h.counted(false);
      const latency = h.latencyMs();
      if (latency > 0) {
        const generation = s.generation;
        h.clock.setTimer(() => {
          if (h.online() && this.streams.get(s.entry.key) === s && s.generation === generation)
            h.emitBatch(batch);
        }, latency);
      } else h.emitBatch(batch);
    }
    s.batchIndex = Math.max(s.batchIndex + 1, Math.floor((now - s.anchor) / h.batchMs));
    if (this.streams.get(s.entry.key) === s) this.arm(s);
  }
}
