/**
 * The fuzz harness: a target is a parser that takes bytes from outside plus the property it must
 * keep. Inputs come from fast-check arbitraries: structured valid inputs (for round-trip checks),
 * raw random bytes, and byte-level mutations of the target's corpus (fuzz/corpus/<target>/).
 *
 * A *crash* is an exception other than the parser's own coded WharfError (codes listed per target),
 * or a wrong result (a round-trip that does not give back what went in). A *hang* is an input that
 * takes longer than the per-input bound. Both fail the property; fast-check shrinks the input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { isWharfError, type WharfErrorCode } from '../src/shared/errors.js';

export interface FuzzTarget<T = unknown> {
  name: string;
  /** What it fuzzes, for the report. */
  about: string;
  /** Generated inputs (given the corpus entries as raw bytes). */
  arbitrary(corpus: readonly Uint8Array[]): fc.Arbitrary<T>;
  /** A corpus file's bytes as an input. */
  fromBytes(b: Uint8Array): T;
  /** Runs the parser on one input; throws (anything) when a property is broken. */
  check(input: T): void | Promise<void>;
  /** Per-input bound in ms of CPU time (default 2000). */
  timeBoundMs?: number;
  /** Async targets (real files) run this many times fewer inputs than the others. */
  costFactor?: number;
  /** A slow target: `npm run fuzz` starts it first, so it does not finish last alone. */
  slow?: boolean;
}

/** A property broken: thrown by checks, never by the parsers themselves. */
export class FuzzFailure extends Error {}

export const ROOT = path.resolve(import.meta.dirname, '..');
export const CORPUS = path.join(ROOT, 'fuzz', 'corpus');

export function fail(msg: string): never {
  throw new FuzzFailure(msg);
}

/** Runs `fn`; an exception is fine only when it is a WharfError with one of `codes`. */
export function expectOnlyCoded<R>(codes: readonly WharfErrorCode[], fn: () => R): R | undefined {
  try {
    return fn();
  } catch (err) {
    if (codes.some((c) => isWharfError(err, c))) return undefined;
    throw err;
  }
}

export async function expectOnlyCodedAsync<R>(
  codes: readonly WharfErrorCode[],
  fn: () => Promise<R>,
): Promise<R | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (codes.some((c) => isWharfError(err, c))) return undefined;
    throw err;
  }
}

/** Every corpus entry of a target, as bytes (sorted by file name; empty when none). */
export function readCorpus(target: string): Uint8Array[] {
  const dir = path.join(CORPUS, target);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort()
    .map((f) => new Uint8Array(fs.readFileSync(path.join(dir, f))));
}

type Op =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; v: number }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'delete'; at: number; n: number }
  | { k: 'truncate'; at: number }
  | { k: 'dup'; at: number; n: number }
  | { k: 'splice'; at: number; other: number; from: number; n: number };

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 10, 13, 0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c];

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    k: fc.constant('set' as const),
    at: fc.nat(),
    v: fc.oneof(fc.constantFrom(...INTERESTING), fc.nat(255)),
  }),
  fc.record({
    k: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  }),
  fc.record({
    k: fc.constant('delete' as const),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 32 }),
  }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('dup' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 64 }) }),
  fc.record({
    k: fc.constant('splice' as const),
    at: fc.nat(),
    other: fc.nat(),
    from: fc.nat(),
    n: fc.integer({ min: 1, max: 64 }),
  }),
);

function applyOps(base: Uint8Array, ops: readonly Op[], corpus: readonly Uint8Array[]): Uint8Array {
  let b = Buffer.from(base);
  for (const op of ops) {
    const at = b.length === 0 ? 0 : op.at % (b.length + 1);
    switch (op.k) {
      case 'flip':
        if (at < b.length) b[at] = b[at]! ^ (1 << op.bit);
        break;
      case 'set':
        if (at < b.length) b[at] = op.v;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), op.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + op.n)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'dup':
        b = Buffer.concat([b.subarray(0, at + op.n), b.subarray(at)]);
        break;
      case 'splice': {
        const o = corpus[op.other % Math.max(1, corpus.length)] ?? new Uint8Array();
        const from = o.length === 0 ? 0 : op.from % o.length;
        b = Buffer.concat([b.subarray(0, at), o.subarray(from, from + op.n), b.subarray(at)]);
        break;
      }
    }
  }
  return new Uint8Array(b);
}

const MUTATE_MAX_BYTES = 8192;

/** Byte-level mutations of `bases` (1–4 operations each). */
export function mutated(
  bases: readonly Uint8Array[],
  corpus: readonly Uint8Array[] = bases,
): fc.Arbitrary<Uint8Array> {
  // Big corpus entries (a regression input of 30 kB) are replayed as they are, not mutated: each
  // mutation would cost as much as the input is big.
  const small = bases.filter((b) => b.length <= MUTATE_MAX_BYTES);
  const use = small.length > 0 ? small : bases;
  if (use.length === 0) return fc.uint8Array({ maxLength: 256 });
  return fc
    .tuple(fc.constantFrom(...use), fc.array(opArb, { minLength: 1, maxLength: 4 }))
    .map(([b, ops]) => applyOps(b, ops, corpus));
}

/** Raw bytes, short and occasionally long. */
export function rawBytes(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4096 }) },
  );
}

/**
 * A short token repeated many times: finds quadratic scans and regex backtracking. These inputs
 * are big; targets give them a small weight (see HEAVY) so a million inputs stay minutes.
 */
export function repeated(tokens: readonly string[]): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(...tokens),
      fc.integer({ min: 100, max: 30_000 }),
      fc.string({ maxLength: 8 }),
    )
    .map(([a, t, n, z]) => a + t.repeat(n) + z);
}

/** Weight of big inputs next to NORMAL-weighted ones: about 1 input in 500. */
export const HEAVY = 1;
export const NORMAL = 100;

export const utf8 = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
export const bytesOf = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** Deep equality for plain JSON-ish values, with -0 == 0 and NaN never equal. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null) return false;
  if (typeof a === 'number') return a === b;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length)
      return false;
    return a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameJson(x, bb[i]));
  }
  if (typeof a === 'object') {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    if (ka.length !== kb.length) return false;
    return ka.every(
      (k) =>
        Object.prototype.hasOwnProperty.call(b, k) &&
        sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    );
  }
  return false;
}
