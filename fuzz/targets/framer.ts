/**
 * Serial line framer (src/boards/protocol/line-framer.ts): bytes split into arbitrary chunks give
 * exactly the lines a reference splitter gives (`\n` ends a line, one `\r` before it is dropped,
 * empty lines skipped, a line longer than the cap is dropped and reported once with its size).
 */
import fc from 'fast-check';
import { LineFramer } from '../../src/boards/protocol/line-framer.js';
import { fail, mutated, rawBytes, sameJson, type FuzzTarget } from '../core.js';

const MAX = 64; // a small cap, so overlong lines are common

type Out = { line: string } | { overlong: number };

function reference(bytes: Uint8Array, max: number): Out[] {
  const out: Out[] = [];
  let start = 0;
  const b = Buffer.from(bytes);
  for (;;) {
    const nl = b.indexOf(10, start);
    if (nl === -1) break; // an unterminated tail is kept, not emitted
    const raw = b.subarray(start, nl);
    if (raw.length > max) out.push({ overlong: raw.length });
    else {
      const n = raw.length > 0 && raw[raw.length - 1] === 13 ? raw.length - 1 : raw.length;
      if (n > 0) out.push({ line: raw.toString('utf8', 0, n) });
    }
    start = nl + 1;
  }
  return out;
}

export interface FramerInput {
  bytes: Uint8Array;
  cuts: number[];
}

function chunks(inp: FramerInput): Buffer[] {
  const cuts = [...new Set(inp.cuts.map((c) => c % (inp.bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, inp.bytes.length]) {
    out.push(Buffer.from(inp.bytes.subarray(prev, c)));
    prev = c;
  }
  return out;
}

const lineBytes = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      fc.string({ maxLength: 90 }).map((s) => new Uint8Array(Buffer.from(`${s}\n`))),
      fc.constant(new Uint8Array([13, 10])),
    ),
    { maxLength: 12 },
  )
  .map((parts) => new Uint8Array(Buffer.concat(parts)));

export const framer: FuzzTarget<FramerInput> = {
  name: 'serial-framer',
  about: 'LineFramer: chunked bytes → lines, overlong lines dropped and counted (cap 64 bytes)',
  arbitrary: (corpus) =>
    fc.record({
      bytes: fc.oneof(lineBytes, rawBytes(), mutated(corpus)),
      cuts: fc.array(fc.nat(), { maxLength: 8 }),
    }),
  fromBytes: (b) => ({ bytes: b, cuts: [1, 7, 64] }),
  check(inp) {
    const got: Out[] = [];
    const f = new LineFramer(
      (line) => got.push({ line }),
      (n) => got.push({ overlong: n }),
      MAX,
    );
    for (const c of chunks(inp)) f.push(c);
    const want = reference(inp.bytes, MAX);
    if (!sameJson(got, want))
      fail(
        `framer gave ${JSON.stringify(got).slice(0, 300)}, expected ${JSON.stringify(want).slice(0, 300)}`,
      );
  },
};
