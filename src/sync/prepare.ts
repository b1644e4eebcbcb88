/** Reading, verifying and hashing a finished capture file before the sync worker uploads it. */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import type { CaptureFileEntry } from '../capture/files.js';
import { WharfError, errorMessage } from '../shared/errors.js';
import { verifyCaptureFile } from './verify.js';

/** A file read, verified and hashed, ready to upload. */
export interface Prepared {
  f: CaptureFileEntry;
  bytes: Buffer;
  fileId: string;
  machine: string;
  records: number;
  sha256: string;
}

/**
 * What became of a file: ready, gone (synced by another process), unreadable, or damaged (reason;
 * `torn` when the header is intact and only the records stop early, so the front can be salvaged).
 */
export type PrepareOutcome =
  { ok: Prepared } | { gone: true } | { error: WharfError } | { damaged: string; torn: boolean };

export async function prepareFile(f: CaptureFileEntry): Promise<PrepareOutcome> {
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(f.path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { gone: true }; // synced by another process meanwhile
    return {
      error: new WharfError('CAPTURE_IO', `cannot read ${f.path}: ${errorMessage(err)}`, {
        cause: err,
      }),
    };
  }
  let torn = false;
  try {
    const v = verifyCaptureFile(bytes);
    if (v.torn !== null) {
      torn = true;
      throw new Error(`damaged at byte ${v.torn.offset}: ${v.torn.reason}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return {
      ok: {
        f,
        bytes,
        fileId: v.header.file_id,
        machine: v.header.meta.machine,
        records: v.records,
        sha256,
      },
    };
  } catch (err) {
    return { damaged: `not uploaded, the file is damaged: ${errorMessage(err)}`, torn };
  }
}
