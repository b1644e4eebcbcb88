/** Raw protocol values → Viam-shaped reading data; board `err` codes → WharfError; link counters. */
import type { CaptureMethod } from '../board.js';
import { WharfError } from '../../shared/errors.js';
import type { AnalogValue, GpioValue, ReadingData } from '../../shared/record.js';
import type { ErrFrame } from './messages.js';

export function toReadingData(
  method: CaptureMethod,
  readers: string[],
  v: number[],
  ranges: Map<string, [number, number, number]>,
): ReadingData {
  if (method === 'Analogs') {
    const out: Record<string, AnalogValue> = {};
    for (let i = 0; i < readers.length; i++) {
      const name = readers[i]!;
      const r = ranges.get(name);
      out[name] = {
        value: v[i]!,
        min_range: r?.[0] ?? 0,
        max_range: r?.[1] ?? 0,
        step_size: r?.[2] ?? 0,
      };
    }
    return out;
  }
  const out: Record<string, GpioValue> = {};
  for (let i = 0; i < readers.length; i++) out[readers[i]!] = { high: v[i] === 1 };
  return out;
}

/** A board's `err` answer as a WharfError: unknown readers/pins and rates → BOARD_UNSUPPORTED. */
export function boardError(boardId: string, request: string, f: ErrFrame): WharfError {
  const unsupported = f.code === 'unknown_reader' || f.code === 'unknown_pin' || f.code === 'rate';
  return new WharfError(
    unsupported ? 'BOARD_UNSUPPORTED' : 'BOARD_PROTOCOL',
    `board ${boardId} refused '${request}': ${f.code}${f.msg === undefined ? '' : ` (${f.msg})`}`,
    {
      details: { boardCode: f.code },
    },
  );
}

/** Per-link counters (exported on /metrics by the app through `stats`). */
export class LinkStats {
  frames = 0;
  batches = 0;
  badFrames = 0;
  staleBatches = 0;
  /** Batches with a sequence number already delivered (re-sent by the board after a link timeout). */
  repeatedBatches = 0;
  lateAnswers = 0;
  unknownFrames = 0;
  timeouts = 0;
  pings = 0;
  reboots = 0;
  repeatedGaps = 0;
  /** `rs` requests sent: a skipped sequence number the board was asked to re-send. */
  resendRequests = 0;
}
