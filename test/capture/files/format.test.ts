import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import zlib from 'node:zlib';
import { Encoder, decode as plainCborDecode } from 'cbor-x';
import {
  crc32,
  decodeCaptureFile,
  encodeCaptureFile,
  encodeHeader,
  encodeRecord,
  PREAMBLE_BYTES,
  RecordEncoder,
} from '../../../src/capture/file-format.js';
import { isWharfError } from '../../../src/shared/errors.js';
import type { AnalogValue, CaptureRecord } from '../../../src/shared/record.js';
import { analogReading, fixedMeta, header, record } from './arbitraries.js';

const hdr = {
  version: 1 as const,
  file_id: 'f-1',
  created_ms: Date.UTC(2026, 0, 1),
  meta: fixedMeta,
};

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('capture file format', () => {
  it('the CRC-32 is zlib’s CRC-32 for every length and alignment (JS fast path and native path)', () => {
    const buf = new Uint8Array(700);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 255;
    for (let from = 0; from < 9; from++) {
      for (let to = from; to <= buf.length; to += 1)
        expect(crc32(buf, from, to)).toBe(zlib.crc32(buf.subarray(from, to)));
    }
  });

  it('round-trips any header and records (property)', () => {
    fc.assert(
      fc.property(header, fc.array(record, { maxLength: 30 }), (h, recs) => {
        const buf = encodeCaptureFile(h, recs);
        const d = decodeCaptureFile(buf);
        expect(d.header).toEqual(h);
        expect(d.records).toEqual(recs);
        expect(d.torn).toBeNull();
        expect(d.validBytes).toBe(buf.length);
      }),
      { numRuns: 300 },
    );
  });

  it('standalone encodeRecord frames mix with a file’s sequential frames (property)', () => {
    fc.assert(
      fc.property(
        header,
        fc.array(record, { maxLength: 10 }),
        fc.array(record, { maxLength: 5 }),
        (h, a, b) => {
          const buf = concat(encodeCaptureFile(h, a), ...b.map((r) => encodeRecord(r)));
          const d = decodeCaptureFile(buf);
          expect(d.records).toEqual([...a, ...b]);
          expect(d.torn).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });

  it('more record shapes than cbor-x has structure ids (256) in one file still round-trip', () => {
    const recs = Array.from({ length: 900 }, (_, i) => ({
      kind: 'reading' as const,
      time_requested: i,
      time_received: i + 0.5,
      data: { [`pin${i % 300}`]: { high: i % 3 === 0 } },
    }));
    const d = decodeCaptureFile(encodeCaptureFile(hdr, recs));
    expect(d.records).toEqual(recs);
    expect(d.torn).toBeNull();
  });

  it('thousands of shapes in random order (cbor-x cycles and rebuilds its structure table) still round-trip', () => {
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const pool of [257, 2000]) {
      const recs: CaptureRecord[] = Array.from({ length: 6000 }, (_, i) => {
        const s = Math.floor(rnd() * pool);
        const data: Record<string, AnalogValue> = {};
        for (let k = 0; k < 1 + (s % 5); k++)
          data[`r${s}_${k}`] = { value: i, min_range: 0, max_range: 3.3, step_size: 0.01 };
        return rnd() < 0.1
          ? { kind: 'gap', reason: 'timeout', start: i, end: i + 1, count: s }
          : { kind: 'reading', time_requested: i, time_received: i + 0.5, data };
      });
      const d = decodeCaptureFile(encodeCaptureFile(hdr, recs));
      expect(d.torn).toBeNull();
      expect(d.records).toEqual(recs);
    }
  });

  it('Analogs readings (the fast path) are byte for byte what cbor-x writes: repeats, gaps, reader sets, number edges', () => {
    const enc = new RecordEncoder();
    const ref = new Encoder({
      useRecords: true,
      sequential: true,
      structures: [],
      tagUint8Array: false,
    });
    const edges = [
      0,
      1,
      23,
      24,
      255,
      256,
      65535,
      65536,
      2 ** 32 - 1,
      2 ** 32,
      -1,
      -24,
      -25,
      -256,
      -257,
    ];
    const more = [
      -65536,
      -65537,
      -(2 ** 31),
      -(2 ** 32),
      -(2 ** 32) - 1,
      0.5,
      -0.5,
      1e300,
      NaN,
      -0,
    ];
    const values = [...edges, ...more];
    let fastShaped = 0;
    for (let i = 0; i < 3000; i++) {
      const readers = i % 700 < 300 ? 3 : i % 700 < 600 ? 10 : 23;
      const data: Record<string, AnalogValue> = {};
      for (let k = 0; k < readers; k++)
        data[`A${k}`] = {
          value: values[(i + k) % values.length]!,
          min_range: i % 500 < 250 ? 0 : -1,
          max_range: 3.3,
          step_size: 3.3 / 4095,
        };
      const rec: CaptureRecord =
        i % 97 === 5
          ? { kind: 'gap', reason: 'board_offline', start: i, end: i + 1, count: 3 }
          : {
              kind: 'reading',
              time_requested: Date.UTC(2026, 0, 1) + i * 0.25,
              time_received: Date.UTC(2026, 0, 1) + i,
              data,
            };
      if (rec.kind === 'reading') fastShaped++;
      const mine = Buffer.from(enc.payload(rec));
      const theirs = Buffer.from(ref.encode(rec));
      expect(mine.toString('hex'), `record ${i}`).toBe(theirs.toString('hex'));
    }
    expect(fastShaped).toBeGreaterThan(2900);
    // every reading but the first after each change of reader set took the fast path
    expect(enc.fastRecords).toBeGreaterThan(2800);
  });

  it('repeated readings of any shape, mixed with gaps, round-trip (property)', () => {
    fc.assert(
      fc.property(
        header,
        fc.array(fc.tuple(record, fc.integer({ min: 1, max: 4 })), { maxLength: 12 }),
        (h, runs) => {
          const recs = runs.flatMap(([r, n]) => Array.from({ length: n }, () => r));
          const d = decodeCaptureFile(encodeCaptureFile(h, recs));
          expect(d.records).toEqual(recs);
          expect(d.torn).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the header is plain CBOR that any decoder reads (third-party readers)', () => {
    const buf = encodeHeader(hdr);
    expect(new TextDecoder().decode(buf.subarray(0, 8))).toBe('WHARFCAP');
    const dv = new DataView(buf.buffer, buf.byteOffset);
    expect(dv.getUint16(8, true)).toBe(1);
    const len = dv.getUint32(12, true);
    expect(plainCborDecode(buf.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + len))).toEqual(hdr);
  });

  it('repeated structures are stored once per file, so records stay compact', () => {
    const recs = Array.from({ length: 100 }, (_, i) => analogReading(i));
    const one = encodeCaptureFile(hdr, recs.slice(0, 1)).length;
    const all = encodeCaptureFile(hdr, recs).length;
    expect((all - one) / 99).toBeLessThan(75); // vs ~140 bytes as a plain CBOR map
  });

  it('an unreadable header throws CAPTURE_CORRUPT with the reason', () => {
    const good = encodeCaptureFile(hdr, [analogReading(0)]);
    const cases: [Uint8Array, RegExp][] = [
      [good.subarray(0, 5), /shorter than the 16-byte preamble/],
      [concat(new TextEncoder().encode('NOTWHARF'), good.subarray(8)), /magic/],
      [good.subarray(0, 30), /header truncated/],
    ];
    const flipped = good.slice();
    flipped[PREAMBLE_BYTES + 3]! ^= 0x40;
    cases.push([flipped, /header checksum mismatch/]);
    for (const [buf, re] of cases) {
      let caught: unknown;
      try {
        decodeCaptureFile(buf);
      } catch (err) {
        caught = err;
      }
      expect(isWharfError(caught, 'CAPTURE_CORRUPT')).toBe(true);
      expect((caught as Error).message).toMatch(re);
    }
  });

  it('a file of an unknown format version is refused, not misread', () => {
    const buf = encodeHeader(hdr);
    const dv = new DataView(buf.buffer);
    dv.setUint16(8, 2, true);
    // fix up the header CRC so only the version is wrong
    dv.setUint32(buf.length - 4, zlib.crc32(buf.subarray(0, buf.length - 4)), true);
    expect(() => decodeCaptureFile(buf)).toThrow(/format version 2 is not supported/);
  });
});
