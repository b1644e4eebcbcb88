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
 *
 * This module is the format's one entry point (the cloud reads capture files through it alone);
 * the parts live by job in file-header.ts (preamble + header), file-frames.ts (frames: `ByteSink`
 * and `scanRecords`), record-encoder.ts (payloads) and file-crc.ts (the checksum).
 */
import type { CaptureRecord } from '../shared/record.js';
import { decodeHeader, encodeHeader, type CaptureHeader } from './file-header.js';
import { ByteSink, scanRecords, type TornAt } from './file-frames.js';
import { RecordEncoder } from './record-encoder.js';

export { crc32 } from './file-crc.js';
export {
  CAPTURE_MAGIC,
  FORMAT_VERSION,
  MAX_HEADER_BYTES,
  PREAMBLE_BYTES,
  decodeHeader,
  encodeHeader,
  type CaptureHeader,
} from './file-header.js';
export { ByteSink, FRAME_OVERHEAD, MAX_RECORD_BYTES, scanRecords } from './file-frames.js';
export { RecordEncoder, encodeRecord } from './record-encoder.js';

export const FINISHED_SUFFIX = '.capture';
export const IN_PROGRESS_SUFFIX = '.prog';

export interface DecodedCaptureFile {
  header: CaptureHeader;
  records: CaptureRecord[];
  /** Bytes from the start of the file through the last intact record. */
  validBytes: number;
  /** Where and why decoding stopped early; null when every byte was a valid record. */
  torn: TornAt;
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
