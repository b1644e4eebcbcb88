/**
 * "Latest capture" on the machine: a RecordSink in front of the capture store that remembers, per
 * entry, the latest reading (time and value), the achieved rate over the last ten seconds and the
 * latest gap (the last thing that went wrong, with its reason). O(1) per record and a fixed few
 * hundred bytes per entry, so it stays in the hot path at 100k readings/s. Read by the gateway's
 * `/status` and so by `wharf status`.
 */
import type { CaptureMeta, CaptureRecord, GapReason, ReadingData } from '../shared/record.js';
import type { RecordSink } from './entry-output.js';

/** Seconds the achieved rate is measured over (complete seconds before the current one). */
export const RATE_WINDOW_S = 10;

export interface LatestOfEntry {
  /** The latest reading by sample time, or null before the first. */
  latest: { time_ms: number; received_ms: number; value: ReadingData } | null;
  readings: number;
  /** Readings per second over the last RATE_WINDOW_S complete seconds (shorter right after start). */
  achieved_hz: number | null;
  /** The latest gap record: what went wrong last, and when. */
  last_gap: {
    reason: GapReason;
    start_ms: number;
    end_ms: number;
    count: number;
    detail?: string;
  } | null;
  gaps: number;
}

interface Track {
  latest: LatestOfEntry['latest'];
  readings: number;
  gaps: number;
  lastGap: LatestOfEntry['last_gap'];
  firstMs: number;
  /** Reading counts per wall-clock second (by sample time), a ring of RATE_WINDOW_S + 2. */
  secs: Float64Array;
  counts: Uint32Array;
}

const RING = RATE_WINDOW_S + 2;

export class LatestReadings implements RecordSink {
  private readonly byKey = new Map<string, Track>();

  constructor(
    private readonly inner: RecordSink,
    private readonly now: () => number = Date.now,
  ) {}

  append(key: string, meta: CaptureMeta, rec: CaptureRecord): void {
    this.inner.append(key, meta, rec); // first: a store that refuses must not leave us ahead
    let t = this.byKey.get(key);
    if (t === undefined) {
      t = {
        latest: null,
        readings: 0,
        gaps: 0,
        lastGap: null,
        firstMs: this.now(),
        secs: new Float64Array(RING).fill(-1),
        counts: new Uint32Array(RING),
      };
      this.byKey.set(key, t);
    }
    if (rec.kind === 'reading') {
      t.readings++;
      if (t.latest === null || rec.time_requested >= t.latest.time_ms)
        t.latest = { time_ms: rec.time_requested, received_ms: rec.time_received, value: rec.data };
      const sec = Math.floor(rec.time_requested / 1000);
      const i = ((sec % RING) + RING) % RING;
      if (t.secs[i] !== sec) {
        t.secs[i] = sec;
        t.counts[i] = 0;
      }
      t.counts[i]! += 1;
    } else {
      t.gaps++;
      t.lastGap = {
        reason: rec.reason,
        start_ms: rec.start,
        end_ms: rec.end,
        count: rec.count,
        ...(rec.detail === undefined ? {} : { detail: rec.detail }),
      };
    }
  }

  /** What is known for an entry key (an entry that produced nothing yet has zeros and nulls). */
  of(key: string): LatestOfEntry {
    const t = this.byKey.get(key);
    if (t === undefined)
      return { latest: null, readings: 0, achieved_hz: null, last_gap: null, gaps: 0 };
    return {
      latest: t.latest,
      readings: t.readings,
      achieved_hz: this.rate(t),
      last_gap: t.lastGap,
      gaps: t.gaps,
    };
  }

  /** Forget entries no longer captured. */
  retain(keys: Iterable<string>): void {
    const keep = new Set(keys);
    for (const k of this.byKey.keys()) if (!keep.has(k)) this.byKey.delete(k);
  }

  private rate(t: Track): number | null {
    const nowSec = Math.floor(this.now() / 1000);
    // complete seconds only, and not before this entry was first seen
    const from = Math.max(nowSec - RATE_WINDOW_S, Math.ceil(t.firstMs / 1000));
    const span = nowSec - from;
    if (span <= 0) return null;
    let n = 0;
    for (let i = 0; i < RING; i++) {
      const s = t.secs[i]!;
      if (s >= from && s < nowSec) n += t.counts[i]!;
    }
    return Math.round((n / span) * 100) / 100;
  }
}
