/**
 * The streamed half of a protocol link: the active plan (keys `<epoch>.<generation>.<index>` ↔
 * plan entries; plan-keys.ts), `b` frames → StreamBatch in gateway time, `gap` frames → BoardGap
 * (each counted once), and the `board_reboot` gaps owed when the board restarted mid-stream.
 */
import { periodMs } from '../../config/plan.js';
import type { BoardGap, SamplingEntry, StreamBatch, StreamedSample } from '../board.js';
import type { GapReason } from '../../shared/record.js';
import type { ClockMap } from './clock-map.js';
import type { BatchFrame, GapFrame, GatewayRequest, PlanEntryFrame } from './messages.js';
import { toReadingData } from './values.js';
import { sensorData, wireMethod } from './sensor-values.js';
import { WIRE } from './wire.js';
import { newEpoch, nextEpoch, sameEntry, samePlan } from './plan-keys.js';

export type BatchResult =
  | { ok: true; batch: StreamBatch }
  | { ok: false; stale: true }
  | { ok: false; repeat: true }
  | { ok: false; stepped: true }
  | { ok: false; stale: false; reason: string };

/** A batch starting this far before the previous batch of its entry means the board restarted. */
const STEP_BACK_MS = 1000;

export class StreamDecoder {
  /** Epoch of this decoder's plan keys (`<epoch>.<generation>.<index>`). */
  private epoch: string;
  private gen = 0;
  /** Epochs this decoder made keys under, and those of keys the board reported that it did not. */
  private readonly ownEpochs = new Set<string>();
  private readonly boardEpochs = new Set<string>();
  private byShort = new Map<string, SamplingEntry>();
  /**
   * Keys of the plan before the running one whose entries the running plan keeps unchanged. The
   * board still sends frames of them after a new plan: the batch it closes when the plan arrives,
   * and the backlog it kept while the link was down (or the gateway away).
   */
  private previous = new Map<string, SamplingEntry>();
  private lastT = new Map<string, number>();
  /** Highest sequence number delivered per short key (keys are unique per plan generation). */
  private lastSeq = new Map<string, number>();
  /** Board clock (t0) of the last batch delivered per short key. */
  private lastT0 = new Map<string, number>();
  private readonly seenGaps = new Set<string>();

  constructor(
    private readonly clockMap: ClockMap,
    private readonly ranges: () => Map<string, [number, number, number]>,
    private readonly epochs: () => string = newEpoch,
  ) {
    this.epoch = epochs();
  }

  /** Notes the epochs of keys the board reports (a plan it runs) that this decoder did not make. */
  private noteBoardKeys(board: PlanEntryFrame[]): void {
    for (const b of board) {
      const dot = b.k.indexOf('.');
      const e = dot < 0 ? b.k : b.k.slice(0, dot);
      if (!this.ownEpochs.has(e)) this.boardEpochs.add(e);
    }
  }

  get size(): number {
    return this.byShort.size;
  }

  /**
   * Start a new plan generation with these streamed entries. Frames of the previous plan's keys
   * (or of the keys `carry` names) are still taken for entries this plan keeps unchanged.
   */
  setPlan(streamed: SamplingEntry[]): void {
    const before = this.byShort.size > 0 ? this.byShort : this.previous;
    // never an epoch another process made the board's keys under (a late batch of theirs would
    // pass for one of ours): draw again; past a few draws, the next epoch up that is free
    for (let i = 0; this.boardEpochs.has(this.epoch); i++)
      this.epoch = i < 4 ? this.epochs() : nextEpoch(this.epoch);
    this.ownEpochs.add(this.epoch);
    this.gen++;
    this.byShort = new Map(
      streamed.map((e, i) => [`${this.epoch}.${this.gen}.${i}`, { ...e, readers: [...e.readers] }]),
    );
    this.carry(before, streamed);
  }

  /**
   * Keep taking frames of these earlier keys (a plan the board ran before this one) for the entries
   * of `streamed` they match exactly (method, readers, rate, entry key); the others become stale.
   */
  private carry(before: Map<string, SamplingEntry>, streamed: SamplingEntry[]): void {
    const kept = new Map<string, SamplingEntry>();
    for (const [k, e] of before) {
      const now = streamed.find((x) => samePlan([x], [e]));
      if (now !== undefined) kept.set(k, { ...now, readers: [...now.readers] });
    }
    this.previous = kept;
    const keep = <T>(m: Map<string, T>) => new Map([...m].filter(([k]) => kept.has(k)));
    this.lastSeq = keep(this.lastSeq);
    this.lastT0 = keep(this.lastT0);
    const entryKeys = new Set([...kept.values()].map((e) => e.key));
    this.lastT = new Map([...this.lastT].filter(([key]) => entryKeys.has(key)));
  }

  /**
   * After a gateway restart, when the plan the board reports (`hi.pl`) cannot be taken over as a
   * whole: its entries that match one of `streamed` exactly are carried into the next setPlan(),
   * so the backlog the board kept for them is still delivered. Returns the keys carried.
   */
  carryOffered(board: PlanEntryFrame[], streamed: SamplingEntry[]): Set<string> {
    this.noteBoardKeys(board);
    const before = new Map<string, SamplingEntry>();
    const used = new Set<number>();
    for (const b of board) {
      const i = streamed.findIndex((e, j) => !used.has(j) && sameEntry(b, e));
      if (i < 0 || before.has(b.k)) continue;
      used.add(i);
      before.set(b.k, streamed[i]!);
    }
    this.byShort = new Map();
    this.carry(before, streamed);
    return new Set(before.keys());
  }

  private entryOf(k: string): SamplingEntry | undefined {
    return this.byShort.get(k) ?? this.previous.get(k);
  }

  /**
   * Take over the plan a board reports running (its keys, given by an earlier gateway process) when
   * it is exactly these streamed entries (each matched once by method, readers and rate). Returns
   * false, changing nothing, when it is not.
   */
  adopt(board: PlanEntryFrame[], streamed: SamplingEntry[]): boolean {
    this.noteBoardKeys(board);
    if (board.length !== streamed.length || board.length === 0) return false;
    const used = new Set<number>();
    const next = new Map<string, SamplingEntry>();
    for (const b of board) {
      const i = streamed.findIndex((e, j) => !used.has(j) && sameEntry(b, e));
      if (i < 0 || next.has(b.k)) return false;
      used.add(i);
      const e = streamed[i]!;
      next.set(b.k, { ...e, readers: [...e.readers] });
    }
    this.byShort = next;
    this.previous = new Map();
    this.lastT = new Map();
    this.lastSeq = new Map();
    this.lastT0 = new Map();
    return true;
  }

  /** The sequence number expected next for key `k` (undefined: none delivered yet). */
  nextSeq(k: string): number | undefined {
    const last = this.lastSeq.get(k);
    return last === undefined ? undefined : last + 1;
  }

  /** Whether frames of `k` are taken (a key of the running plan, or one it carried over). */
  has(k: string): boolean {
    return this.entryOf(k) !== undefined;
  }

  /** The streamed entries of the running plan. */
  entries(): SamplingEntry[] {
    return [...this.byShort.values()];
  }

  planFrame(bms: number): Extract<GatewayRequest, { t: 'plan' }> {
    return {
      t: 'plan',
      e: [...this.byShort].map(([k, x]) => ({
        k,
        m: wireMethod(x.method),
        r: x.readers,
        hz: x.hz,
      })),
      bms,
    };
  }

  batch(f: BatchFrame, received: number): BatchResult {
    const entry = this.entryOf(f.k);
    if (entry === undefined || !this.clockMap.synced) return { ok: false, stale: true };
    // A board re-sends the batches of its last `lt` ms after a link timeout: each sequence number once.
    const last = this.lastSeq.get(f.k);
    if (last !== undefined && f.s <= last) return { ok: false, repeat: true };
    // Per entry, not against the newest clock seen: a backlog is older than the board's `hi`/`pong`.
    const lastT0 = this.lastT0.get(f.k);
    if (lastT0 !== undefined && f.t0 < lastT0 - STEP_BACK_MS) return { ok: false, stepped: true };
    const layout = entry.layout;
    const width = layout?.length ?? entry.readers.length;
    const ranges = this.ranges();
    const samples: StreamedSample[] = new Array(f.v.length);
    for (let i = 0; i < f.v.length; i++) {
      const row = f.v[i]!;
      if (row.length !== width)
        return {
          ok: false,
          stale: false,
          reason: `batch ${f.k}#${f.s} sample ${i} has ${row.length} values for ${width} readers`,
        };
      samples[i] = {
        timeRequested: this.clockMap.toGateway(f.t0 + i * f.dt),
        timeReceived: received,
        data:
          layout === undefined
            ? toReadingData(entry.method, entry.readers, row, ranges)
            : sensorData(layout, row)!,
      };
    }
    this.clockMap.see(f.t0 + f.dt * Math.max(0, f.v.length - 1));
    this.lastSeq.set(f.k, f.s);
    this.lastT0.set(f.k, f.t0);
    if (samples.length > 0) this.lastT.set(entry.key, samples[samples.length - 1]!.timeRequested);
    return { ok: true, batch: { key: entry.key, seq: f.s, samples } };
  }

  /** A board `gap` frame as a BoardGap; undefined for a stale key or a repeat. */
  gap(f: GapFrame): BoardGap | 'repeat' | undefined {
    const entry = f.k === undefined ? undefined : this.entryOf(f.k);
    if (f.k !== undefined && entry === undefined) return undefined;
    // A board with a link timeout re-sends recent gap frames after an outage: count each once. A
    // report that grew (an overflow report evicted again merges into a longer one from the same
    // start) is new: the collector leaves out the instants already on record.
    const id = `${f.k ?? ''}|${f.why}|${f.t0}|${f.t1}|${f.n}`;
    if (this.seenGaps.has(id)) return 'repeat';
    this.seenGaps.add(id);
    if (this.seenGaps.size > 256) this.seenGaps.delete(this.seenGaps.values().next().value!);
    const reason: GapReason =
      f.why === WIRE.backlogOverflow || f.why === WIRE.missedTicks ? f.why : 'read_error';
    const g: BoardGap = {
      reason,
      start: this.clockMap.toGateway(f.t0),
      end: this.clockMap.toGateway(f.t1),
      count: f.n,
      detail: `board reported ${f.why}`,
    };
    if (entry !== undefined) g.key = entry.key;
    return g;
  }

  /** Gaps for a reboot noticed at `now`: per streamed entry from its last sample, or one board-wide. */
  rebootGaps(now: number, why: string): BoardGap[] {
    // the rebooted board numbers the re-sent plan's batches from 0 again; its backlog is gone
    this.previous = new Map();
    this.lastSeq = new Map();
    this.lastT0 = new Map();
    const entries = [...this.byShort.values()];
    if (entries.length === 0)
      return [{ reason: 'board_reboot', start: now, end: now, count: 0, detail: why }];
    return entries.map((e) => {
      const period = periodMs(e.hz);
      const lastT = this.lastT.get(e.key);
      const start = lastT === undefined ? now : Math.min(now, lastT + period);
      this.lastT.set(e.key, now);
      return {
        key: e.key,
        reason: 'board_reboot',
        start,
        end: now,
        count: Math.max(0, Math.round((now - start) / period) + 1),
        detail: why,
      };
    });
  }
}
