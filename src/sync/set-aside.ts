/**
 * Setting files aside without stalling the sync (issue: bad input is the sender's fault, never an
 * outage): a damaged file gives up only its damaged part, a file the target rejects goes to
 * `failed/` with a `sync_rejected` gap for its readings, a file that cannot be read at all goes
 * to `failed/` whole. Each counts in the pass result, the status and /metrics.
 */
import { moveToFailed, type CaptureFileEntry } from '../capture/files.js';
import { salvageDamagedFile, setAsideRejectedFile } from '../capture/recover-finished.js';
import { WharfError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { SyncMetrics } from './metrics.js';
import type { SyncStatus } from './status-file.js';
import type { PassResult } from './worker-options.js';

export interface SetAsideContext {
  captureDir: string;
  logger: Logger;
  st: SyncStatus;
  m: SyncMetrics | null;
  now: () => number;
  noteError: (e: WharfError) => void;
}

/** A file with a readable header whose records stop early: keep its front (recover-finished.ts). */
export async function salvage(
  c: SetAsideContext,
  f: CaptureFileEntry,
  res: PassResult,
  files: CaptureFileEntry[],
): Promise<boolean> {
  try {
    const s = await salvageDamagedFile(c.captureDir, f.path, c.logger);
    if (s === null) return false;
    res.failed++;
    c.st.failed_files++;
    c.m?.files.inc({ result: 'salvaged' });
    if (s.newFile !== null) files.push(s.newFile);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    c.logger.error(
      { file: f.path, err: errorMessage(err) },
      'cannot salvage a damaged capture file; moving it whole to failed/',
    );
    return false;
  }
}

export async function rejectContent(
  c: SetAsideContext,
  f: CaptureFileEntry,
  err: WharfError,
  res: PassResult,
  files: CaptureFileEntry[],
): Promise<void> {
  try {
    const s = await setAsideRejectedFile(c.captureDir, f.path, err.message, c.logger);
    res.failed++;
    c.st.failed_files++;
    c.st.last_error = { code: err.code, message: err.message, at_ms: c.now() };
    c.m?.files.inc({ result: 'rejected' });
    c.m?.errors.inc({ code: err.code });
    c.logger.error(
      {
        file: f.path,
        moved_to: s.movedTo,
        reason: err.message,
        gap_file: s.newFile?.path ?? null,
        readings: s.gap?.count ?? null,
      },
      'the target rejected a capture file: moved to failed/, its readings recorded as a sync_rejected gap; syncing the rest',
    );
    if (s.newFile !== null) files.push(s.newFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    res.error = new WharfError(
      'CAPTURE_IO',
      `cannot move ${f.path} to failed/: ${errorMessage(e)}`,
      { cause: e },
    );
    c.noteError(res.error);
  }
}

export async function reject(
  c: SetAsideContext,
  f: CaptureFileEntry,
  reason: string,
  res: PassResult,
): Promise<void> {
  try {
    const dest = await moveToFailed(c.captureDir, f.path, reason);
    res.failed++;
    c.st.failed_files++;
    c.m?.files.inc({ result: 'rejected' });
    c.logger.warn(
      { file: f.path, moved_to: dest, reason },
      'capture file rejected, moved to failed/',
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    res.error = new WharfError(
      'CAPTURE_IO',
      `cannot move ${f.path} to failed/: ${errorMessage(err)}`,
      { cause: err },
    );
    c.noteError(res.error);
  }
}
