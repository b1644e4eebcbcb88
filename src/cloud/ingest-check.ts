/**
 * Validates an uploaded capture file before anything is stored: checksum (400: damaged in
 * transit, resend), header and key's machine (403, checked before the records are decoded),
 * complete decode, file id agreement and every record (422 CLOUD_INGEST_REJECTED: the file itself
 * is unacceptable, resending cannot help). Throws a WharfError saying why. The key itself (and that
 * it may upload at all) is checked earlier, before the body is read (auth.ts).
 */
import { createHash } from 'node:crypto';
import { WharfError, errorMessage } from '../shared/errors.js';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import { validateCapture } from './ingest-validate.js';
import type { IngestFile, KeyInfo } from './store/contract.js';

export interface DecodedCaptureFile {
  header: { version: number; file_id: string; created_ms: number; meta: CaptureMeta };
  records: CaptureRecord[];
  validBytes: number;
  torn: null | { offset: number; reason: string };
}

export type CaptureDecoder = (buf: Uint8Array) => DecodedCaptureFile;

export interface CaptureCodec {
  decode: CaptureDecoder;
  /** Reads only the header (cheap), so a wrong machine is refused before the records are decoded. */
  decodeHeader?: (buf: Uint8Array) => { header: DecodedCaptureFile['header'] };
}

/** The capture file decoder of src/capture (loaded lazily so the cloud can start without it). */
export async function defaultCodec(): Promise<CaptureCodec> {
  const mod = (await import('../capture/file-format.js')) as {
    decodeCaptureFile: CaptureDecoder;
    decodeHeader: NonNullable<CaptureCodec['decodeHeader']>;
  };
  return { decode: mod.decodeCaptureFile, decodeHeader: mod.decodeHeader };
}

export function sha256Hex(buf: Uint8Array): string {
  return createHash('sha256').update(buf).digest('hex');
}

export interface UploadHeaders {
  fileId: string | undefined;
  sha256: string | undefined;
}

const bad = (msg: string): WharfError => new WharfError('CLOUD_BAD_REQUEST', msg);
const rejected = (msg: string): WharfError => new WharfError('CLOUD_INGEST_REJECTED', msg);

function checkMachine(key: KeyInfo, machine: string): void {
  if (key.machine === null)
    throw new WharfError(
      'CLOUD_FORBIDDEN',
      `key ${key.id} is read-only: create a key for the machine with 'wharf cloud keys create --machine NAME'`,
    );
  if (machine !== key.machine) {
    // about this file, not the key (which may upload its own machine's files): a client goes on
    // with its other files
    throw new WharfError(
      'CLOUD_FORBIDDEN',
      `key ${key.id} belongs to machine '${key.machine}' and cannot upload data of machine '${String(machine).slice(0, 100)}'`,
      { details: { reason: 'other_machine' } },
    );
  }
}

export function checkUpload(
  body: Buffer,
  h: UploadHeaders,
  key: KeyInfo,
  codec: CaptureCodec,
): IngestFile {
  if (h.fileId === undefined || !/^[A-Za-z0-9._-]{1,128}$/.test(h.fileId)) {
    throw bad('header x-wharf-file-id is missing or not a file id (1-128 of A-Z a-z 0-9 . _ -)');
  }
  if (h.sha256 === undefined || !/^[0-9a-f]{64}$/i.test(h.sha256))
    throw bad('header x-wharf-sha256 is missing or not 64 hex digits');
  if (body.length === 0) throw bad('the body is empty: send the capture file bytes');
  const actual = sha256Hex(body);
  if (actual !== h.sha256.toLowerCase()) {
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `checksum mismatch: x-wharf-sha256 says ${h.sha256.slice(0, 12)}…, the ${body.length} bytes received hash to ${actual.slice(0, 12)}…; the upload was damaged, retry it`,
      { details: { reason: 'checksum_mismatch' } },
    );
  }
  if (codec.decodeHeader !== undefined) {
    let machine: string;
    try {
      machine = codec.decodeHeader(body).header.meta.machine;
    } catch (err) {
      throw rejected(`not a wharf capture file: ${errorMessage(err)}`);
    }
    checkMachine(key, machine);
  }
  let dec: DecodedCaptureFile;
  try {
    dec = codec.decode(body);
  } catch (err) {
    throw rejected(`not a wharf capture file: ${errorMessage(err)}`);
  }
  if (dec.torn !== null || dec.validBytes !== body.length) {
    const at = dec.torn?.offset ?? dec.validBytes;
    throw rejected(
      `capture file is truncated or damaged at byte ${at} of ${body.length} (after ${dec.records.length} intact records): ${dec.torn?.reason ?? 'trailing bytes'}`,
    );
  }
  if (dec.header.file_id !== h.fileId)
    throw rejected(
      `x-wharf-file-id ${h.fileId} does not match the file's own id ${dec.header.file_id}`,
    );
  checkMachine(key, dec.header.meta.machine);
  validateCapture(dec.header.file_id, dec.header.meta, dec.records);
  return {
    file_id: dec.header.file_id,
    sha256: actual,
    bytes: body.length,
    meta: dec.header.meta,
    records: dec.records,
  };
}
