/**
 * The capture file's preamble and header (format version 1, see file-format.ts and
 * docs/capture-files.md):
 *
 *   preamble  "WHARFCAP" | u16 LE version (1) | u16 LE flags (0) | u32 LE header length H
 *   header    H bytes: a plain CBOR map {version, file_id, created_ms, meta}
 *             u32 LE CRC-32 of preamble + header
 */
import { Decoder, Encoder } from 'cbor-x';
import { WharfError } from '../shared/errors.js';
import type { CaptureMeta } from '../shared/record.js';
import { crc32 } from './file-crc.js';

export const CAPTURE_MAGIC = 'WHARFCAP';
export const FORMAT_VERSION = 1;
export const PREAMBLE_BYTES = 16;
export const MAX_HEADER_BYTES = 1024 * 1024;

const MAGIC_BYTES = new TextEncoder().encode(CAPTURE_MAGIC);

export interface CaptureHeader {
  version: 1;
  file_id: string;
  created_ms: number;
  meta: CaptureMeta;
}

const plainEncoder = new Encoder({ useRecords: false, tagUint8Array: false });
const plainDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });

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
