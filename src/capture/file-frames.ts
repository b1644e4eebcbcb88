/**
 * The capture file's record frames (see file-format.ts and docs/capture-files.md):
 *
 *   frames    u32 LE payload length L | L bytes CBOR | u32 LE CRC-32 of (length bytes + payload)
 *
 * `ByteSink` appends frames for the writer; `scanRecords` walks them for every reader, decoding the
 * payloads in order (cbor-x sequential records: a structure is defined by the first record that
 * uses it) and stopping at the first damaged frame.
 */
import { Decoder } from 'cbor-x';
import type { CaptureRecord } from '../shared/record.js';
import { crc32 } from './file-crc.js';

/** Bytes a frame adds around its payload: length prefix + CRC trailer. */
export const FRAME_OVERHEAD = 8;
/** A length prefix larger than this is treated as damage, not as a record. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** Where and why decoding stopped early; null when every byte was a valid record. */
export type TornAt = null | { offset: number; reason: string };

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
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
): { validBytes: number; torn: TornAt } {
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
