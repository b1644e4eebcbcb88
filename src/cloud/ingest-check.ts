/**
 * Validates an uploaded capture file before anything is stored: checksum, complete decode (no torn
 * tail), file id agreement, key allowed for the file's machine. Throws a WharfError saying why.
 */
import { createHash } from 'node:crypto';
import { WharfError, errorMessage } from '../shared/errors.js';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import type { IngestFile, KeyInfo } from './store/contract.js';

export interface DecodedCaptureFile {
  header: { version: number; file_id: string; created_ms: number; meta: CaptureMeta };
  records: CaptureRecord[];
  validBytes: number;
  torn: null | { offset: number; reason: string };
}

export type CaptureDecoder = (buf: Uint8Array) => DecodedCaptureFile;

/** The capture file decoder of src/capture (loaded lazily so the cloud can start without it). */
export async function defaultDecoder(): Promise<CaptureDecoder> {
  const mod = (await import('../capture/file-format.js')) as { decodeCaptureFile: CaptureDecoder };
  return mod.decodeCaptureFile;
}

export function sha256Hex(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export interface UploadHeaders {
  fileId: string | undefined;
  sha256: string | undefined;
}

const bad = (msg: string): WharfError => new WharfError('CLOUD_BAD_REQUEST', msg);

export function checkUpload(
  body: Buffer,
  h: UploadHeaders,
  key: KeyInfo,
  decode: CaptureDecoder,
): IngestFile {
  if (h.fileId === undefined || !/^[A-Za-z0-9._-]{1,128}$/.test(h.fileId)) {
    throw bad('header x-wharf-file-id is missing or not a file id (1-128 of A-Z a-z 0-9 . _ -)');
  }
  if (h.sha256 === undefined || !/^[0-9a-f]{64}$/i.test(h.sha256))
    throw bad('header x-wharf-sha256 is missing or not 64 hex digits');
  if (body.length === 0) throw bad('the body is empty: send the capture file bytes');
  const actual = sha256Hex(body);
  if (actual !== h.sha256.toLowerCase()) {
    throw bad(
      `checksum mismatch: x-wharf-sha256 says ${h.sha256.slice(0, 12)}…, the ${body.length} bytes received hash to ${actual.slice(0, 12)}…; the upload was damaged, retry it`,
    );
  }
  let dec: DecodedCaptureFile;
  try {
    dec = decode(body);
  } catch (err) {
    throw bad(`not a wharf capture file: ${errorMessage(err)}`);
  }
  if (dec.torn !== null || dec.validBytes !== body.length) {
    const at = dec.torn?.offset ?? dec.validBytes;
    throw bad(
      `capture file is truncated or damaged at byte ${at} of ${body.length}: ${dec.torn?.reason ?? 'trailing bytes'}`,
    );
  }
  if (dec.header.file_id !== h.fileId)
    throw bad(`x-wharf-file-id ${h.fileId} does not match the file's own id ${dec.header.file_id}`);
  if (key.machine === null)
    throw new WharfError(
      'CLOUD_FORBIDDEN',
      `key ${key.id} is read-only: create a key for the machine with 'wharf cloud keys create --machine NAME'`,
    );
  if (dec.header.meta.machine !== key.machine) {
    throw new WharfError(
      'CLOUD_FORBIDDEN',
      `key ${key.id} belongs to machine '${key.machine}' and cannot upload data of machine '${dec.header.meta.machine}'`,
    );
  }
  return {
    file_id: dec.header.file_id,
    sha256: actual,
    bytes: body.length,
    meta: dec.header.meta,
    records: dec.records,
  };
}
