/**
 * Record payloads of the capture file format: cbor-x output. The writer uses cbor-x's record
 * extension in *sequential* mode, scoped to one file: a record structure (its key names) is
 * defined inline the first time it appears in the file and referenced by later records.
 * Standalone `encodeRecord` frames are plain CBOR maps and can be mixed freely with sequential ones.
 */
import { Encoder } from 'cbor-x';
import type { CaptureRecord } from '../shared/record.js';
import { ByteSink } from './file-frames.js';
import { ReadingFastEncoder, type RecordStructures } from './reading-encoder.js';

/**
 * cbor-x's RESET_BUFFER_MODE (encode.js; not re-exported by its node entry): the next encode
 * reuses the same region of the encoder's buffer instead of marching on and allocating a new one.
 * The returned view is only valid until the next encode, which is how RecordEncoder uses it.
 */
const RESET_BUFFER_MODE = 1024;

const plainEncoder = new Encoder({ useRecords: false, tagUint8Array: false });

/**
 * Encodes the records of ONE file (structures are defined at first use within the file). Use a
 * new instance per file; never drop a frame it produced (later frames may reference it).
 */
export class RecordEncoder {
  /** cbor-x keeps its record structures (and their key transitions) on the array it is given. */
  private readonly structures: object[] & RecordStructures = [];
  private readonly enc = new Encoder({
    useRecords: true,
    sequential: true,
    structures: this.structures,
    tagUint8Array: false,
  });

  /** Analogs readings skip cbor-x's structure lookup (same bytes, see reading-encoder.ts). */
  private readonly fast = new ReadingFastEncoder(() => this.structures);
  /** Records written by the fast path (the rest by cbor-x). */
  fastRecords = 0;

  /** The CBOR payload (a view into a reused buffer, valid until the next call). */
  payload(rec: CaptureRecord): Uint8Array {
    const f = this.fast.encode(rec);
    if (f !== undefined) {
      this.fastRecords++;
      return f;
    }
    this.fast.invalidate();
    return (this.enc.encode as (v: unknown, mode: number) => Uint8Array)(rec, RESET_BUFFER_MODE);
  }

  appendTo(sink: ByteSink, rec: CaptureRecord): number {
    return sink.appendFrame(this.payload(rec));
  }
}

/** One standalone frame (plain CBOR map payload): decodable anywhere in any file. */
export function encodeRecord(rec: CaptureRecord): Uint8Array {
  const sink = new ByteSink(256);
  sink.appendFrame(plainEncoder.encode(rec));
  return sink.bytes().slice();
}
