/**
 * A rate change is marked in the data: when a live config change (local file or cloud) gives an
 * entry a new `capture_frequency_hz`, a record goes into that entry's stream at the moment of the
 * change — a zero-length gap record (`count` 0, nothing is missing) with reason `rate_change` and
 * `detail` "capture_frequency_hz 2 → 5 (…)" — so a chart or a query can tell where the rate changed.
 */
import type { CapturePlan, PlanEntry } from '../config/index.js';
import type { CaptureStore } from '../capture/capture-store.js';
import { metaFor } from '../capture/engine-plan.js';

export interface RateChange {
  entry: PlanEntry;
  from: number;
  to: number;
}

/** Entries scheduled in both plans whose rate differs. */
export function rateChanges(prev: CapturePlan, next: CapturePlan): RateChange[] {
  const before = new Map(prev.entries.filter((e) => e.supported).map((e) => [e.key, e]));
  const out: RateChange[] = [];
  for (const e of next.entries) {
    const b = before.get(e.key);
    if (b === undefined || !e.supported || b.hz === e.hz) continue;
    out.push({ entry: e, from: b.hz, to: e.hz });
  }
  return out;
}

export function markRateChanges(
  store: CaptureStore,
  prev: CapturePlan,
  next: CapturePlan,
  at: number,
  why: string,
): RateChange[] {
  const changes = rateChanges(prev, next);
  for (const c of changes)
    store.append(c.entry.key, metaFor(next, c.entry), {
      kind: 'gap',
      reason: 'rate_change',
      start: at,
      end: at,
      count: 0,
      detail: `capture_frequency_hz ${c.from} → ${c.to} (${why})`,
    });
  return changes;
}
