/**
 * Wire protocol decoder (src/boards/protocol/messages.ts) and what consumes its frames (the stream
 * decoder): any text decodes or is refused with a reason, never throws; a decoded frame re-encodes
 * to a frame that decodes the same; `b` and `gap` frames go through a StreamDecoder without throwing.
 */
import fc from 'fast-check';
import {
  decodeBoardFrame,
  encodeFrame,
  MAX_FRAME_BYTES,
} from '../../src/boards/protocol/messages.js';
import { ClockMap } from '../../src/boards/protocol/clock-map.js';
import { StreamDecoder } from '../../src/boards/protocol/stream-decoder.js';
import {
  bytesOf,
  fail,
  mutated,
  rawBytes,
  repeated,
  sameJson,
  utf8,
  type FuzzTarget,
  HEAVY,
  NORMAL,
} from '../core.js';

const num = fc.oneof(
  fc.double(),
  fc.integer({ min: -1e6, max: 1e12 }),
  fc.constantFrom(0, -0, 1, 1e308, -1, 0.5),
);
const anyVal = fc.oneof(
  num,
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(num, { maxLength: 4 }),
);

/** Objects shaped like board frames, with fields right, wrong or missing. */
export const frameObject = fc.oneof(
  fc.record(
    {
      t: fc.constant('hi'),
      v: fc.oneof(fc.constant(1), anyVal),
      bid: fc.oneof(fc.string({ maxLength: 8 }), anyVal),
      fw: fc.string({ maxLength: 8 }),
      clk: num,
      id: fc.oneof(fc.nat(), anyVal),
      caps: fc.oneof(fc.record({ hz: num, st: fc.constantFrom(0, 1) }), anyVal),
    },
    { requiredKeys: ['t'] },
  ),
  fc.record(
    {
      t: fc.constantFrom('ok', 'err', 'val', 'pong'),
      id: fc.oneof(fc.nat(), anyVal),
      code: fc.string({ maxLength: 8 }),
      msg: anyVal,
      clk: num,
      g: num,
      v: fc.oneof(fc.array(num, { maxLength: 4 }), anyVal),
      a: fc.oneof(
        fc.array(fc.tuple(fc.string({ maxLength: 4 }), num, num, num), { maxLength: 3 }),
        anyVal,
      ),
      p: fc.oneof(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), anyVal),
    },
    { requiredKeys: ['t'] },
  ),
  fc.record(
    {
      t: fc.constant('b'),
      k: fc.oneof(fc.constantFrom('1.0', '1.1', '2.0'), anyVal),
      s: fc.oneof(fc.nat(), anyVal),
      t0: num,
      dt: fc.oneof(fc.constantFrom(10, 1, 0.5), num),
      v: fc.oneof(fc.array(fc.array(num, { maxLength: 3 }), { maxLength: 5 }), anyVal),
    },
    { requiredKeys: ['t'] },
  ),
  fc.record(
    {
      t: fc.constant('gap'),
      why: fc.oneof(fc.constantFrom('backlog_overflow', 'missed_ticks', 'x'), anyVal),
      n: fc.oneof(fc.nat(), anyVal),
      t0: num,
      t1: num,
      k: fc.oneof(fc.constantFrom('1.0', '1.1'), anyVal),
    },
    { requiredKeys: ['t'] },
  ),
  fc.dictionary(fc.string({ maxLength: 4 }), anyVal, { maxKeys: 5 }),
);

/** A stream decoder with a two-entry plan and a synced clock, as a running link has. */
export function runningDecoder(): StreamDecoder {
  const clock = new ClockMap();
  clock.add({ clk: 1000, sendMs: 1_700_000_000_000, recvMs: 1_700_000_000_002 }, true);
  const d = new StreamDecoder(
    clock,
    () => new Map([['A1', [0, 3.3, 0.001] as [number, number, number]]]),
  );
  d.setPlan([
    { key: 'b/board/x/Analogs/A1', method: 'Analogs', readers: ['A1'], hz: 100, mode: 'streamed' },
    { key: 'b/board/x/Gpio/4,27', method: 'Gpio', readers: ['4', '27'], hz: 50, mode: 'streamed' },
  ]);
  return d;
}

/** The decode path shared by serial (a line) and MQTT (a payload): decode, then feed the decoder. */
export function decodeAndConsume(text: string, decoder: StreamDecoder): void {
  const d = decodeBoardFrame(text);
  if (!d.ok) {
    if (typeof d.reason !== 'string' || d.reason === '') fail('a refusal without a reason');
    return;
  }
  const f = d.frame;
  if (f.t !== 'unknown') {
    const again = decodeBoardFrame(encodeFrame(f as unknown as Record<string, unknown>));
    if (text.length <= MAX_FRAME_BYTES && (!again.ok || !sameJson(again.frame, f)))
      fail(`re-encoded frame does not decode the same: ${encodeFrame(f as never).slice(0, 200)}`);
  }
  if (f.t === 'b') {
    const r = decoder.batch(f, 1_700_000_000_100);
    if (r.ok) {
      if (r.batch.samples.length !== f.v.length) fail('a batch lost samples');
      for (const s of r.batch.samples)
        if (typeof s.timeRequested !== 'number') fail('a sample without a time');
    }
  } else if (f.t === 'gap') {
    decoder.gap(f);
  }
}

export const protocol: FuzzTarget<string> = {
  name: 'protocol-decoder',
  about: 'decodeBoardFrame + StreamDecoder.batch/gap on any line text; re-encode round-trip',
  arbitrary: (corpus) =>
    fc.oneof(
      { weight: 4 * NORMAL, arbitrary: frameObject.map((o) => JSON.stringify(o)) },
      { weight: 2 * NORMAL, arbitrary: mutated(corpus).map(utf8) },
      { weight: 1 * NORMAL, arbitrary: rawBytes().map(utf8) },
      { weight: 1 * NORMAL, arbitrary: fc.string({ maxLength: 64 }) },
      { weight: 1 * NORMAL, arbitrary: fc.json({ maxDepth: 3 }) },
      {
        weight: HEAVY,
        arbitrary: repeated(['[', '{"t":', '9', '"\\u0000"']).map((s) => s.slice(0, 2048)),
      },
    ),
  fromBytes: utf8,
  check(text) {
    decodeAndConsume(text, runningDecoder());
  },
};

export { bytesOf };
