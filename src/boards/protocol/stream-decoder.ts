/**
 * The streamed half of a protocol link: the active plan (short keys `<generation>.<index>` ↔ plan
 * entries), `b` frames → StreamBatch in gateway time, `gap` frames → BoardGap (each counted once),
 * and the `board_reboot` gaps owed when the board restarted mid-stream.
 */
import type { BoardGap, SamplingEntry, StreamBatch, StreamedSample } from '../board.js';
import type { GapReason } from '../../shared/record.js';
import type { ClockMap } from './clock-map.js';
import type { BatchFrame, GapFrame, GatewayRequest } from './messages.js';
import { toReadingData } from './values.js';

export type BatchResult = { ok: true; batch: StreamBatch } | { ok: false; stale: true } | { ok: false; stale: false; reason: string };

export class StreamDecoder {
  private gen = 0;
  private byShort = new Map<string, SamplingEntry>();
  private lastT = new Map<string, number>();
  private readonly seenGaps = new Set<string>();

  constructor(
    private readonly clockMap: ClockMap,
    private readonly ranges: () => Map<string, [number, number, number]>,
  ) {}

  get size(): number {
    return this.byShort.size;
  }

  /** Start a new plan generation with these streamed entries. */
  setPlan(streamed: SamplingEntry[]): void {
    this.gen++;
    this.byShort = new Map(streamed.map((e, i) => [`${this.gen}.${i}`, { ...e, readers: [...e.readers] }]));
    this.lastT = new Map();
  }

  planFrame(bms: number): Extract<GatewayRequest, { t: 'plan' }> {
    return { t: 'plan', e: [...this.byShort].map(([k, x]) => ({ k, m: x.method === 'Analogs' ? 'A' : 'G', r: x.readers, hz: x.hz })), bms };
  }

  batch(f: BatchFrame, received: number): BatchResult {
    const entry = this.byShort.get(f.k);
    if (entry === undefined || !this.clockMap.synced) return { ok: false, stale: true };
    const width = entry.readers.length;
    const ranges = this.ranges();
    const samples: StreamedSample[] = new Array(f.v.length);
    for (let i = 0; i < f.v.length; i++) {
      const row = f.v[i]!;
      if (row.length !== width) return { ok: false, stale: false, reason: `batch ${f.k}#${f.s} sample ${i} has ${row.length} values for ${width} readers` };
      samples[i] = { timeRequested: this.clockMap.toGateway(f.t0 + i * f.dt), timeReceived: received, data: toReadingData(entry.method, entry.readers, row, ranges) };
    }
    this.clockMap.see(f.t0 + f.dt * Math.max(0, f.v.length - 1));
    if (samples.length > 0) this.lastT.set(entry.key, samples[samples.length - 1]!.timeRequested);
    return { ok: true, batch: { key: entry.key, seq: f.s, samples } };
  }

  /** A board `gap` frame as a BoardGap; undefined for a stale key or a repeat. */
  gap(f: GapFrame): BoardGap | 'repeat' | undefined {
    const entry = f.k === undefined ? undefined : this.byShort.get(f.k);
    if (f.k !== undefined && entry === undefined) return undefined;
    // A board with a link timeout re-sends recent gap frames after an outage: count each once.
    const id = `${f.k ?? ''}|${f.why}|${f.t0}`;
    if (this.seenGaps.has(id)) return 'repeat';
    this.seenGaps.add(id);
    if (this.seenGaps.size > 256) this.seenGaps.delete(this.seenGaps.values().next().value!);
    const reason: GapReason = f.why === 'backlog_overflow' || f.why === 'missed_ticks' ? f.why : 'read_error';
    const g: BoardGap = { reason, start: this.clockMap.toGateway(f.t0), end: this.clockMap.toGateway(f.t1), count: f.n, detail: `board reported ${f.why}` };
    if (entry !== undefined) g.key = entry.key;
    return g;
  }

  /** Gaps for a reboot noticed at `now`: per streamed entry from its last sample, or one board-wide. */
  rebootGaps(now: number, why: string): BoardGap[] {
    const entries = [...this.byShort.values()];
    if (entries.length === 0) return [{ reason: 'board_reboot', start: now, end: now, count: 0, detail: why }];
    return entries.map((e) => {
      const period = 1000 / e.hz;
      const lastT = this.lastT.get(e.key);
      const start = lastT === undefined ? now : lastT + period;
      this.lastT.set(e.key, now);
      return { key: e.key, reason: 'board_reboot', start, end: now, count: Math.max(0, Math.round((now - start) / period) + 1), detail: why };
    });
  }
}
