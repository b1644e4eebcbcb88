/**
 * How an entry is collected (collector.ts): its board-facing method, polled or streamed, and the
 * options and dependencies a collector runs with.
 */
import type { BoardCapabilities, CaptureMethod } from '../boards/board.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureMetrics } from './capture-metrics.js';

export type CollectorMode = 'waiting' | 'polled' | 'streamed';

export interface CollectorOptions {
  /** Entries faster than this stream when the board can (default 2 Hz); slower ones are polled. */
  streamAboveHz: number;
  /** Timeout of one polled read in ms (default 1000). */
  readTimeoutMs: number;
  /** How often pending gaps are written while they last, in ms (the store's flush interval). */
  holdMs: number;
}

export interface CollectorDeps {
  clock: Clock;
  logger: Logger;
  metrics: CaptureMetrics;
  options: CollectorOptions;
}

/** The board-facing method name of a plan method ('Gpios' reads the same way as 'Gpio'). */
export function boardMethod(method: string): CaptureMethod | undefined {
  if (method === 'Analogs') return 'Analogs';
  if (method === 'Gpio' || method === 'Gpios') return 'Gpio';
  if (method === 'Readings') return 'Readings'; // board-side sensors (a gateway sensor never gets here)
  return undefined;
}

/** Streamed when the board can stream, the rate is above the threshold and within the board's maximum. */
export function chooseMode(
  hz: number,
  caps: BoardCapabilities,
  streamAboveHz: number,
): 'polled' | 'streamed' {
  return caps.streamed && hz > streamAboveHz && hz <= caps.maxHz ? 'streamed' : 'polled';
}
