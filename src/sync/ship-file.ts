/**
 * One file of a sync pass: read, verify and hash it (or set it aside when it is damaged), then
 * upload it and delete the local copy only once the target acknowledged it. A file the target
 * rejects is salvaged or set aside (set-aside.ts) so the rest of the backlog keeps moving.
 */
import { promises as fsp } from 'node:fs';
import type { CaptureFileEntry } from '../capture/files.js';
import { WharfError, errorMessage, isWharfError } from '../shared/errors.js';
import { reject, rejectContent, salvage, type SetAsideContext } from './set-aside.js';
import type { SyncTarget } from './target.js';
import { prepareFile, type Prepared } from './prepare.js';
import type { PassResult } from './worker-options.js';

/**
 * Reads, verifies and hashes a file; null when there is nothing to upload (gone, moved to
 * failed/, or unreadable). A damaged file's intact front is salvaged into a new file that joins
 * `files` (this pass ships it).
 */
export async function prepareForUpload(
  c: SetAsideContext,
  f: CaptureFileEntry,
  res: PassResult,
  files: CaptureFileEntry[],
): Promise<Prepared | null> {
  const o = await prepareFile(f);
  if ('ok' in o) return o.ok;
  if ('error' in o && res.error === null) {
    res.error = o.error;
    c.noteError(res.error);
  }
  if ('damaged' in o) {
    if (o.torn && (await salvage(c, f, res, files))) return null;
    await reject(c, f, o.damaged, res);
  }
  return null;
}

/**
 * Uploads a prepared file and deletes it once the target acknowledged it. Returns true when the
 * file is dealt with (uploaded, or rejected and set aside), false when it stays for a retry.
 */
export async function sendFile(
  c: SetAsideContext,
  p: Prepared,
  target: SyncTarget,
  signal: AbortSignal,
  res: PassResult,
  files: CaptureFileEntry[],
): Promise<boolean> {
  const { f, bytes, fileId, machine, records, sha256 } = p;
  try {
    const ack = await target.upload({ fileId, sha256, bytes, machine, records }, signal);
    // the target has it durably: only now may the local copy go. No directory fsync after the
    // unlink: should a power cut bring the file back, it is uploaded again and answered
    // already_stored, then deleted (the ingest is idempotent), so the fsync would buy nothing.
    await fsp.unlink(f.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    if (ack.status === 'stored') res.uploaded++;
    else res.alreadyStored++;
    res.records += ack.records;
    res.bytes += bytes.length;
    c.st.uploaded_files++;
    c.st.uploaded_records += ack.status === 'stored' ? ack.records : 0;
    c.st.uploaded_bytes += bytes.length;
    c.m?.files.inc({ result: ack.status });
    if (ack.status === 'stored') c.m?.records.inc(undefined, ack.records);
    c.m?.bytes.inc(undefined, bytes.length);
    c.logger.debug({ file_id: fileId, status: ack.status, records: ack.records }, 'synced');
    return true;
  } catch (err) {
    if (isWharfError(err, 'SYNC_REJECTED')) {
      // the content is bad for the target: a damaged tail is salvaged, anything else is set
      // aside with a sync_rejected gap; either way the rest of the backlog keeps moving
      if (!(await salvage(c, f, res, files))) await rejectContent(c, f, err, res, files);
      return true;
    }
    const e = isWharfError(err)
      ? err
      : new WharfError('SYNC_UNREACHABLE', errorMessage(err), { cause: err });
    if (isWharfError(err, 'SYNC_AUTH') && err.details?.per_file === true) {
      // refused for this file only: it stays, the rest of the backlog keeps moving
      if (res.refused === undefined) {
        res.refused = e;
        c.noteError(e);
      }
      return false;
    }
    if (res.error === null) {
      res.error = e;
      c.noteError(e);
    }
    return false;
  }
}
