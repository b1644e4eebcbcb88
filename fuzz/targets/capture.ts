/**
 * Capture file decoder (src/capture/file-format.ts) and the cut that crash recovery makes
 * (src/capture/recovery.ts): any bytes decode to (header, intact records, where the damage starts)
 * or throw CAPTURE_CORRUPT for an unreadable header; a file encoded from records decodes to exactly
 * those records; damage after byte N never changes the records that end before N; cutting at
 * `validBytes` and appending a gap record (what recovery does) always gives a clean file.
 */
import fc from 'fast-check';
import {
  decodeCaptureFile,
  decodeHeader,
  encodeCaptureFile,
  scanRecords,
  encodeRecord,
  type CaptureHeader,
} from '../../src/capture/file-format.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import {
  expectOnlyCoded,
  fail,
  mutated,
  rawBytes,
  sameJson,
  type FuzzTarget,
  NORMAL,
} from '../core.js';

const time = fc.double({ min: 1.6e12, max: 1.9e12, noNaN: true });
const name = fc.string({ minLength: 1, maxLength: 6 });

export const recordArb: fc.Arbitrary<CaptureRecord> = fc.oneof(
  fc.record({
    kind: fc.constant('reading' as const),
    time_requested: time,
    time_received: time,
    data: fc.oneof(
      fc.dictionary(
        name,
        fc.record({
          value: fc.integer({ min: 0, max: 65535 }),
          min_range: fc.constant(0),
          max_range: fc.double({ min: 0, max: 10, noNaN: true }),
          step_size: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        { minKeys: 1, maxKeys: 3 },
      ),
      fc.dictionary(name, fc.record({ high: fc.boolean() }), { minKeys: 1, maxKeys: 3 }),
    ),
  }),
  fc.record(
    {
      kind: fc.constant('gap' as const),
      reason: fc.constantFrom(
        'read_error',
        'timeout',
        'board_offline',
        'missed_ticks',
        'disk_quota',
        'recovery_truncated',
      ) as fc.Arbitrary<'read_error'>,
      start: time,
      end: time,
      count: fc.nat(1e6),
      detail: fc.string({ maxLength: 20 }),
    },
    { requiredKeys: ['kind', 'reason', 'start', 'end', 'count'] },
  ),
);

export const headerArb: fc.Arbitrary<CaptureHeader> = fc.record({
  version: fc.constant(1),
  file_id: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
  created_ms: time,
  meta: fc.record({
    part_id: name,
    machine: name,
    component_type: fc.constant('board'),
    component_name: name,
    method_name: fc.constantFrom('Analogs', 'Gpio'),
    additional_parameters: fc.dictionary(name, fc.string({ maxLength: 4 }), { maxKeys: 2 }),
    tags: fc.array(name, { maxLength: 2 }),
  }),
});

export const validFile = fc
  .tuple(headerArb, fc.array(recordArb, { maxLength: 12 }))
  .map(([h, recs]) => ({ h, recs, bytes: encodeCaptureFile(h, recs) }));

export type CaptureInput =
  | { kind: 'bytes'; bytes: Uint8Array }
  | {
      kind: 'valid';
      h: CaptureHeader;
      recs: CaptureRecord[];
      bytes: Uint8Array;
      damageAt: number;
      junk: Uint8Array;
    };

/** Decodes; checks the result is self-consistent; returns undefined for an unreadable header. */
export function decodeChecked(bytes: Uint8Array) {
  const dec = expectOnlyCoded(['CAPTURE_CORRUPT'], () => decodeCaptureFile(bytes));
  if (dec === undefined) return undefined;
  if (dec.validBytes > bytes.length) fail('validBytes past the end of the file');
  if ((dec.torn === null) !== (dec.validBytes === bytes.length))
    fail(
      `torn ${JSON.stringify(dec.torn)} disagrees with validBytes ${dec.validBytes}/${bytes.length}`,
    );
  // What recovery does: cut at validBytes, append a gap record → a clean file with one more record.
  if (dec.torn !== null) {
    const gap: CaptureRecord = {
      kind: 'gap',
      reason: 'recovery_truncated',
      start: 1,
      end: 2,
      count: 0,
    };
    const fixed = new Uint8Array(dec.validBytes + encodeRecord(gap).length);
    fixed.set(bytes.subarray(0, dec.validBytes));
    fixed.set(encodeRecord(gap), dec.validBytes);
    const again = decodeCaptureFile(fixed);
    if (again.torn !== null) fail(`a recovered file is still torn: ${again.torn.reason}`);
    if (again.records.length !== dec.records.length + 1 || !sameJson(again.records.at(-1), gap))
      fail('a recovered file does not hold the intact records plus the gap');
  }
  return dec;
}

export const capture: FuzzTarget<CaptureInput> = {
  name: 'capture-file',
  about:
    'decodeCaptureFile on any bytes; encode→decode round-trip; damage keeps the intact prefix; recovery cut + gap is clean',
  arbitrary: (corpus) =>
    fc.oneof(
      {
        weight: 3 * NORMAL,
        arbitrary: fc
          .tuple(validFile, fc.nat(), fc.uint8Array({ maxLength: 24 }))
          .map(([v, at, junk]) => ({ kind: 'valid' as const, ...v, damageAt: at, junk })),
      },
      {
        weight: 3 * NORMAL,
        arbitrary: mutated(corpus).map((bytes) => ({ kind: 'bytes' as const, bytes })),
      },
      {
        weight: 1 * NORMAL,
        arbitrary: rawBytes().map((bytes) => ({ kind: 'bytes' as const, bytes })),
      },
    ),
  fromBytes: (bytes) => ({ kind: 'bytes', bytes }),
  check(inp) {
    if (inp.kind === 'bytes') {
      decodeChecked(inp.bytes);
      return;
    }
    const dec = decodeCaptureFile(inp.bytes);
    if (dec.torn !== null || !sameJson(dec.records, inp.recs) || !sameJson(dec.header, inp.h))
      fail('an encoded file does not decode to its records');
    // Damage: overwrite from damageAt with junk and cut there.
    const at = inp.damageAt % (inp.bytes.length + 1);
    const damaged = new Uint8Array(at + inp.junk.length);
    damaged.set(inp.bytes.subarray(0, at));
    damaged.set(inp.junk, at);
    const d = decodeChecked(damaged);
    if (d === undefined) return; // header hit
    // Every record whose frame ends before the damage is kept, unchanged and in order.
    const ends: number[] = [];
    let prev: number | undefined;
    const { headerBytes } = decodeHeader(inp.bytes);
    scanRecords(inp.bytes, headerBytes, (_r, off) => {
      if (prev !== undefined) ends.push(off);
      prev = off;
    });
    if (prev !== undefined) ends.push(inp.bytes.length);
    const full = ends.filter((e) => e <= at).length;
    if (d.records.length < full || !sameJson(d.records.slice(0, full), inp.recs.slice(0, full)))
      fail(`damage at byte ${at} lost or changed records that end before it`);
    if (d.records.length > full + 1) fail('damage produced extra records');
  },
};
