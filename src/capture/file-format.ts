/**
 * The capture file format, version 1 (byte layout in docs/capture-files.md).
 *
 *   preamble  "WHARFCAP" | u16 LE version (1) | u16 LE flags (0) | u32 LE header length H
 *   header    H bytes: a plain CBOR map {version, file_id, created_ms, meta}
 *             u32 LE CRC-32 of preamble + header
 *   frames    u32 LE payload length L | L bytes CBOR | u32 LE CRC-32 of (length bytes + payload)
 *
 * Record payloads are cbor-x output. The writer uses cbor-x's record extension in *sequential*
 * mode, scoped to one file: a record structure (its key names) is defined inline the first time it
 * appears in the file and referenced by later records. Decoding therefore needs nothing outside
 * the file, only the frames before it, and a reader must decode frames in order (recovery keeps a
 * prefix, so every kept record stays decodable). Standalone `encodeRecord` frames are plain CBOR
 * maps and can be mixed freely with sequential ones.
 */
import zlib from 'node:zlib';
import { Decoder, Encoder } from 'cbor-x';

/**
 * cbor-x's RESET_BUFFER_MODE (encode.js; not re-exported by its node entry): the next encode
 * reuses the same region of the encoder's buffer instead of marching on and allocating a new one.
 * The returned view is only valid until the next encode, which is how RecordEncoder uses it.
 */
const RESET_BUFFER_MODE = 1024;
import { WharfError } from '../shared/errors.js';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import { ReadingFastEncoder, type RecordStructures } from './reading-encoder.js';

export const CAPTURE_MAGIC = 'WHARFCAP';
export const FORMAT_VERSION = 1;
export const PREAMBLE_BYTES = 16;
/** Bytes a frame adds around its payload: length prefix + CRC trailer. */
export const FRAME_OVERHEAD = 8;
/** A length prefix larger than this is treated as damage, not as a record. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
export const MAX_HEADER_BYTES = 1024 * 1024;
export const FINISHED_SUFFIX = '.capture';
export const IN_PROGRESS_SUFFIX = '.prog';

const MAGIC_BYTES = new TextEncoder().encode(CAPTURE_MAGIC);

export interface CaptureHeader {
  version: 1;
  file_id: string;
  created_ms: number;
  meta: CaptureMeta;
}

export interface DecodedCaptureFile {
  header: CaptureHeader;
  records: CaptureRecord[];
  /** Bytes from the start of the file through the last intact record. */
  validBytes: number;
  /** Where and why decoding stopped early; null when every byte was a valid record. */
  torn: null | { offset: number; reason: string };
}

const plainEncoder = new Encoder({ useRecords: false, tagUint8Array: false });
const plainDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/** CRC-32 (IEEE 802.3, as zlib): slice-by-8 tables in JS for short frames, zlib's native code for long ones. */
const CRC_TABLE = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 8; k++)
      t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 255]!;
  return t;
})();
const JS_CRC_MAX = 128;

export function crc32(b: Uint8Array, from: number, to: number): number {
  if (to - from > JS_CRC_MAX) return zlib.crc32(b.subarray(from, to));
  const T = CRC_TABLE;
  let c = -1;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    c ^= b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    c =
      T[1792 + (c & 255)]! ^
      T[1536 + ((c >>> 8) & 255)]! ^
      T[1280 + ((c >>> 16) & 255)]! ^
      T[1024 + (c >>> 24)]! ^
      T[768 + b[i + 4]!]! ^
      T[512 + b[i + 5]!]! ^
      T[256 + b[i + 6]!]! ^
      T[b[i + 7]!]!;
  }
  for (; i < to; i++) c = T[(c ^ b[i]!) & 255]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Preamble + CBOR header + CRC. */
export function encodeHeader(h: CaptureHeader): Uint8Array {
  const body = plainEncoder.encode({
    version: h.version,
    file_id: h.file_id,
    created_ms: h.created_ms,
    meta: h.meta,
  });
  const out = new Uint8Array(PREAMBLE_BYTES + body.length + 4);
  out.set(MAGIC_BYTES, 0);
  const dv = view(out);
  dv.setUint16(8, FORMAT_VERSION, true);
  dv.setUint16(10, 0, true);
  dv.setUint32(12, body.length, true);
  out.set(body, PREAMBLE_BYTES);
  dv.setUint32(PREAMBLE_BYTES + body.length, crc32(out, 0, PREAMBLE_BYTES + body.length), true);
  return out;
}

/**
 * A growable byte buffer that frames are appended to without per-record allocations (apart from
 * cbor-x's own). `bytes()` is a view valid until the next append or reset.
 */
export class ByteSink {
  buf: Uint8Array;
  private dv: DataView;
  length = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = new Uint8Array(Math.max(64, initialBytes));
    this.dv = view(this.buf);
  }

  ensure(extra: number): void {
    const need = this.length + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.dv = view(next);
  }

  /** Append one frame around `payload`; returns the frame's size. */
  appendFrame(payload: Uint8Array): number {
    const n = payload.length;
    this.ensure(n + FRAME_OVERHEAD);
    const start = this.length;
    this.dv.setUint32(start, n, true);
    this.buf.set(payload, start + 4);
    this.dv.setUint32(start + 4 + n, crc32(this.buf, start, start + 4 + n), true);
    this.length = start + n + FRAME_OVERHEAD;
    return n + FRAME_OVERHEAD;
  }

  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** Drop the first `n` bytes (they were written). */
  consume(n: number): void {
    if (n >= this.length) {
      this.length = 0;
      return;
    }
    this.buf.copyWithin(0, n, this.length);
    this.length -= n;
  }

  reset(): void {
    this.length = 0;
  }
}

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

/** A whole file in memory: header then every record, in order. */
export function encodeCaptureFile(
  header: CaptureHeader,
  records: readonly CaptureRecord[],
): Uint8Array {
  const head = encodeHeader(header);
  const sink = new ByteSink(head.length + records.length * 64 + 64);
  sink.append(head);
  const enc = new RecordEncoder();
  for (const rec of records) enc.appendTo(sink, rec);
  return sink.bytes().slice();
}

function corrupt(reason: string): WharfError {
  return new WharfError('CAPTURE_CORRUPT', `capture file header unreadable: ${reason}`, {
    details: { reason },
  });
}

function isMeta(m: unknown): m is CaptureMeta {
  if (m === null || typeof m !== 'object') return false;
  const o = m as Record<string, unknown>;
  return (
    typeof o.part_id === 'string' &&
    typeof o.machine === 'string' &&
    typeof o.component_type === 'string' &&
    typeof o.component_name === 'string' &&
    typeof o.method_name === 'string' &&
    o.additional_parameters !== null &&
    typeof o.additional_parameters === 'object' &&
    Array.isArray(o.tags)
  );
}

/** Reads the header; throws WharfError CAPTURE_CORRUPT when it is unreadable. */
export function decodeHeader(buf: Uint8Array): { header: CaptureHeader; headerBytes: number } {
  if (buf.length < PREAMBLE_BYTES)
    throw corrupt(`file is ${buf.length} bytes, shorter than the ${PREAMBLE_BYTES}-byte preamble`);
  for (let i = 0; i < MAGIC_BYTES.length; i++) {
    if (buf[i] !== MAGIC_BYTES[i])
      throw corrupt(`not a wharf capture file (magic "${CAPTURE_MAGIC}" missing)`);
  }
  const dv = view(buf);
  const version = dv.getUint16(8, true);
  const len = dv.getUint32(12, true);
  if (len > MAX_HEADER_BYTES) throw corrupt(`header length ${len} is implausible`);
  const end = PREAMBLE_BYTES + len;
  if (buf.length < end + 4)
    throw corrupt(`header truncated (needs ${end + 4} bytes, file has ${buf.length})`);
  if (dv.getUint32(end, true) !== crc32(buf, 0, end)) throw corrupt('header checksum mismatch');
  if (version !== FORMAT_VERSION)
    throw corrupt(
      `format version ${version} is not supported (this wharf reads version ${FORMAT_VERSION})`,
    );
  let h: unknown;
  try {
    h = plainDecoder.decode(buf.subarray(PREAMBLE_BYTES, end));
  } catch (err) {
    throw corrupt(`header CBOR does not decode: ${(err as Error).message}`);
  }
  const o = h as Record<string, unknown> | null;
  if (
    o === null ||
    typeof o !== 'object' ||
    typeof o.file_id !== 'string' ||
    typeof o.created_ms !== 'number' ||
    !isMeta(o.meta)
  ) {
    throw corrupt('header lacks file_id, created_ms or meta');
  }
  return {
    header: { version: 1, file_id: o.file_id, created_ms: o.created_ms, meta: o.meta },
    headerBytes: end + 4,
  };
}

function isRecord(r: unknown): r is CaptureRecord {
  if (r === null || typeof r !== 'object') return false;
  const k = (r as { kind?: unknown }).kind;
  return k === 'reading' || k === 'gap';
}

/**
 * Walks the frames after the header, calling `onRecord` for each intact one, and stops at the
 * first damaged frame. Returns where the intact part ends and why it stopped (null = clean end).
 */
export function scanRecords(
  buf: Uint8Array,
  start: number,
  onRecord: (rec: CaptureRecord, offset: number) => void,
): { validBytes: number; torn: DecodedCaptureFile['torn'] } {
  const dec = new Decoder({
    useRecords: true,
    sequential: true,
    structures: [],
    mapsAsObjects: true,
  });
  const dv = view(buf);
  let off = start;
  while (off < buf.length) {
    const remaining = buf.length - off;
    if (remaining < FRAME_OVERHEAD)
      return {
        validBytes: off,
        torn: { offset: off, reason: `truncated frame: ${remaining} trailing bytes` },
      };
    const n = dv.getUint32(off, true);
    if (n === 0 || n > MAX_RECORD_BYTES)
      return { validBytes: off, torn: { offset: off, reason: `implausible record length ${n}` } };
    if (n + FRAME_OVERHEAD > remaining) {
      return {
        validBytes: off,
        torn: {
          offset: off,
          reason: `truncated record: needs ${n + FRAME_OVERHEAD} bytes, ${remaining} remain`,
        },
      };
    }
    if (dv.getUint32(off + 4 + n, true) !== crc32(buf, off, off + 4 + n)) {
      return { validBytes: off, torn: { offset: off, reason: 'record checksum mismatch' } };
    }
    let rec: unknown;
    try {
      rec = dec.decode(buf.subarray(off + 4, off + 4 + n));
    } catch (err) {
      return {
        validBytes: off,
        torn: { offset: off, reason: `record CBOR does not decode: ${(err as Error).message}` },
      };
    }
    if (!isRecord(rec))
      return {
        validBytes: off,
        torn: { offset: off, reason: 'frame is not a capture record (no kind reading/gap)' },
      };
    onRecord(rec, off);
    off += n + FRAME_OVERHEAD;
  }
  return { validBytes: off, torn: null };
}

/** Decodes a whole file. Throws CAPTURE_CORRUPT only when the header is unreadable. */
export function decodeCaptureFile(buf: Uint8Array): DecodedCaptureFile {
  const { header, headerBytes } = decodeHeader(buf);
  const records: CaptureRecord[] = [];
  const { validBytes, torn } = scanRecords(buf, headerBytes, (r) => records.push(r));
  return { header, records, validBytes, torn };
}

/** Start and end time of a record (gap: its span; reading: requested → received). */
export function recordSpan(rec: CaptureRecord): { start: number; end: number } {
  return rec.kind === 'reading'
    ? { start: rec.time_requested, end: rec.time_received }
    : { start: rec.start, end: rec.end };
}
