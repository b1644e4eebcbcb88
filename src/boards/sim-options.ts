/**
 * Options of a `sim://NAME?...` address, and the sim's deterministic randomness.
 *
 *   sim://line1?wave=sine&period=10000&latency=2&fail=0.01&disconnect=30000&down=2000&seed=7
 *
 * | option     | default | meaning |
 * |------------|---------|---------|
 * | wave       | sine    | analog waveform: sine, square, saw, noise |
 * | period     | 10000   | waveform period in ms; GPIO pins toggle every half period |
 * | latency    | 0       | ms before a polled read answers / a streamed batch arrives |
 * | fail       | 0       | probability (0..1) that a polled read fails or a streamed batch is lost |
 * | disconnect | 0       | mean ms between simulated link drops (0 = never) |
 * | down       | 2000    | ms the link stays down after a drop (connect() fails meanwhile) |
 * | seed       | hash of NAME | seed of every random choice (failures, noise, drop times) |
 * | maxhz      | 1000    | highest rate the sim board accepts per entry |
 * | stream     | 1       | 1: the board can stream batches; 0: polled only |
 * | bms        | 100     | streamed batch interval in ms (a batch also closes at 50 samples) |
 * | bits       | 12      | ADC resolution: raw counts 0 .. 2^bits-1 |
 * | vref       | 3.3     | ADC full-scale voltage |
 */
import { WharfError } from '../shared/errors.js';

export type Wave = 'sine' | 'square' | 'saw' | 'noise';

export interface SimOptions {
  name: string;
  wave: Wave;
  periodMs: number;
  latencyMs: number;
  failRate: number;
  disconnectEveryMs: number;
  downMs: number;
  seed: number;
  maxHz: number;
  streamed: boolean;
  batchMs: number;
  bits: number;
  vref: number;
}

const WAVES: readonly Wave[] = ['sine', 'square', 'saw', 'noise'];
const KNOWN = new Set([
  'wave',
  'period',
  'latency',
  'fail',
  'disconnect',
  'down',
  'seed',
  'maxhz',
  'stream',
  'bms',
  'bits',
  'vref',
]);

export function parseSimAddress(address: URL | string): SimOptions {
  const url = typeof address === 'string' ? new URL(address) : address;
  if (url.protocol !== 'sim:') {
    throw new WharfError(
      'BOARD_UNSUPPORTED',
      `not a sim address: ${url.href} (expected sim://NAME?wave=sine)`,
    );
  }
  const name = decodeURIComponent(url.hostname || url.pathname.replace(/^\/+/, ''));
  if (name === '')
    throw new WharfError('USAGE', `sim address ${url.href} has no board name: write sim://NAME`);
  const q = url.searchParams;
  for (const key of q.keys()) {
    if (!KNOWN.has(key)) {
      throw new WharfError(
        'USAGE',
        `sim address ${url.href}: unknown option '${key}' (known: ${[...KNOWN].join(', ')})`,
      );
    }
  }
  const num = (key: string, def: number, min: number, max: number): number => {
    const raw = q.get(key);
    if (raw === null || raw === '') return def;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < min || v > max) {
      throw new WharfError(
        'USAGE',
        `sim address ${url.href}: option ${key}=${raw} must be a number in [${min}, ${max}]`,
      );
    }
    return v;
  };
  const wave = (q.get('wave') ?? 'sine') as Wave;
  if (!WAVES.includes(wave)) {
    throw new WharfError(
      'USAGE',
      `sim address ${url.href}: wave=${wave} is not one of ${WAVES.join(', ')}`,
    );
  }
  return {
    name,
    wave,
    periodMs: num('period', 10_000, 1, 1e9),
    latencyMs: num('latency', 0, 0, 60_000),
    failRate: num('fail', 0, 0, 1),
    disconnectEveryMs: num('disconnect', 0, 0, 1e9),
    downMs: num('down', 2000, 0, 1e9),
    seed: Math.trunc(num('seed', hashString(name), 0, 2 ** 32 - 1)),
    maxHz: num('maxhz', 1000, 0.001, 100_000),
    streamed: num('stream', 1, 0, 1) === 1,
    batchMs: num('bms', 100, 1, 60_000),
    bits: Math.trunc(num('bits', 12, 1, 24)),
    vref: num('vref', 3.3, 0.001, 1000),
  };
}

/** FNV-1a, 32 bit: a stable seed from a name. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stateless hash of (seed, channel, integer instant) → [0, 1): deterministic noise. */
export function noiseAt(seed: number, channel: number, instant: number): number {
  let h = (seed ^ Math.imul(channel + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (instant >>> 0), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ Math.floor(instant / 4294967296), 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d) >>> 0;
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}
