/** The pre-upload check agrees with the full decoder on every damaged variant of a file. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCaptureFile, decodeHeader } from '../../src/capture/file-format.js';
import { verifyCaptureFile } from '../../src/sync/verify.js';
import { captureFile, meta, readings } from '../cloud/fixtures.js';

describe('verifyCaptureFile', () => {
  const f = captureFile(meta(), [
    ...readings(30),
    { kind: 'gap', reason: 'timeout', start: 1, end: 2, count: 1 },
  ]);

  it('counts the records of an intact file', () => {
    expect(verifyCaptureFile(f.bytes)).toMatchObject({
      records: 31,
      torn: null,
      header: { file_id: f.fileId },
    });
  });

  it('finds the same intact prefix as the decoder after any truncation or flipped byte', () => {
    const headerEnd = decodeHeader(f.bytes).headerBytes;
    fc.assert(
      fc.property(
        fc.integer({ min: headerEnd, max: f.bytes.length }),
        fc.option(fc.integer({ min: 0, max: 255 })),
        (at, flip) => {
          const buf =
            flip === null
              ? f.bytes.slice(0, at)
              : Uint8Array.from(f.bytes, (b, i) =>
                  i === Math.min(at, f.bytes.length - 1) ? b ^ (flip | 1) : b,
                );
          const v = verifyCaptureFile(buf);
          const d = decodeCaptureFile(buf);
          expect(v.records).toBe(d.records.length);
          expect(v.torn === null).toBe(d.torn === null);
        },
      ),
      { numRuns: 300 },
    );
  });
});
