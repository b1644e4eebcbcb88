/**
 * Plan keys and plan comparison for the streamed half of a protocol link (stream-decoder.ts): the
 * per-process epoch in every key, and when two plans (or a board's plan entry and a wanted entry)
 * are the same.
 */
import { randomInt } from 'node:crypto';
import type { SamplingEntry } from '../board.js';
import type { PlanEntryFrame } from './messages.js';
import { wireMethod } from './sensor-values.js';

/**
 * A random epoch per decoder (per board per gateway process) in every plan key, so a restarted
 * gateway never reuses a key: a late batch of an old plan can never pass for one of the new plan.
 * Random alone makes that likely, not certain (1 in 1.6 million per restart), so a decoder also
 * never makes keys under an epoch it has seen in a plan the board reported (StreamDecoder.setPlan).
 */
export function newEpoch(): string {
  return randomInt(36 ** 3, 36 ** 4).toString(36);
}

/** The epoch after `e` in newEpoch's range (four base-36 digits), wrapping around. */
export function nextEpoch(e: string): string {
  const n = parseInt(e, 36);
  const next = Number.isFinite(n) && n >= 36 ** 3 && n < 36 ** 4 - 1 ? n + 1 : 36 ** 3;
  return next.toString(36);
}

/** A plan entry as the board names it: method letter, readers, rate. */
export function sameEntry(b: PlanEntryFrame, e: SamplingEntry): boolean {
  return (
    b.m === wireMethod(e.method) &&
    b.hz === e.hz &&
    b.r.length === e.readers.length &&
    b.r.every((r, i) => r === e.readers[i])
  );
}

/** Same streamed entries (key, method, readers, rate) in the same order. */
export function samePlan(a: SamplingEntry[], b: SamplingEntry[]): boolean {
  return (
    a.length === b.length &&
    a.every((x, i) => {
      const y = b[i]!;
      return (
        x.key === y.key &&
        x.method === y.method &&
        x.hz === y.hz &&
        x.readers.length === y.readers.length &&
        x.readers.every((r, j) => r === y.readers[j])
      );
    })
  );
}
