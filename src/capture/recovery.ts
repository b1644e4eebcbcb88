/**
 * Crash recovery: run at start, before a FileCaptureStore writes into the directory.
 *
 * Every `.prog` file left behind is finished:
 *  - readable header: intact records are kept; a torn or corrupt tail is cut (truncate at the
 *    end of the last intact record) and a `recovery_truncated` gap record is appended, spanning
 *    from the last intact record's time to the file's mtime (count 0: the size of the loss is not
 *    knowable); then fsync, rename to `.capture`, fsync the directory.
 *  - clean file (no damage): fsync, rename, fsync dir; no gap is added (the report gives
 *    `lastRecordTime` so the caller can record a `capture_stopped` gap up to its restart).
 *  - unreadable header: moved to `failed/` with a `.reason.txt` beside it.
 *  - zero bytes (a crash between create and the first write; the writer creates a file and writes
 *    its header with the first records in one write): it holds no data, so it is removed and the
 *    removal is logged and listed in the report.
 * Temporary files a crash left while a finished file was being written whole (`*.capture.tmp-PID`,
 * finished-file.ts) are removed: they are never the only copy of data.
 * Nothing else is deleted.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errorMessage, isWharfError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureMeta, GapRecord } from '../shared/record.js';
import {
  decodeHeader,
  encodeRecord,
  FINISHED_SUFFIX,
  IN_PROGRESS_SUFFIX,
  recordSpan,
  scanRecords,
} from './file-format.js';
import {
  fsyncDir,
  listInProgressFiles,
  moveToFailed,
  walkCaptureDir,
  writeFully,
} from './files.js';

export interface RecoveredFile {
  progPath: string;
  finalPath: string;
  meta: CaptureMeta;
  /** Intact records kept (not counting the added gap). */
  records: number;
  /** Damaged bytes cut from the end (0 when the file was clean). */
  cutBytes: number;
  tornReason: string | null;
  /** The recovery_truncated gap appended, if any. */
  gap: GapRecord | null;
  /** Latest time of any intact record (null when there are none). */
  lastRecordTime: number | null;
}

export interface RecoveryReport {
  recovered: RecoveredFile[];
  failed: { path: string; movedTo: string; reason: string }[];
  emptyRemoved: string[];
  /** Files recovery could not handle at all (I/O errors); left in place, retried next start. */
  errors: { path: string; error: string }[];
}

async function uniqueTarget(p: string): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const candidate = i === 0 ? p : `${p.slice(0, -FINISHED_SUFFIX.length)}.${i}${FINISHED_SUFFIX}`;
    try {
      await fsp.access(candidate);
    } catch {
      return candidate;
    }
  }
  return `${p}.${Date.now()}`;
}

async function recoverOne(
  dir: string,
  file: string,
  logger: Logger,
  report: RecoveryReport,
): Promise<void> {
  const buf = await fsp.readFile(file);
  const st = await fsp.stat(file);
  if (buf.length === 0) {
    await fsp.unlink(file);
    await fsyncDir(path.dirname(file));
    logger.warn(
      { file },
      'capture recovery: removed an empty .prog file (crash right after create; it held no data)',
    );
    report.emptyRemoved.push(file);
    return;
  }
  let header;
  let headerBytes;
  try {
    ({ header, headerBytes } = decodeHeader(buf));
  } catch (err) {
    if (!isWharfError(err, 'CAPTURE_CORRUPT')) throw err;
    const reason = `${errorMessage(err)} (found by crash recovery; ${buf.length} bytes)`;
    const movedTo = await moveToFailed(dir, file, reason);
    logger.error(
      { file, movedTo, reason },
      'capture recovery: header unreadable, file moved to failed/',
    );
    report.failed.push({ path: file, movedTo, reason });
    return;
  }
  let count = 0;
  let last: number | null = null;
  const { validBytes, torn } = scanRecords(buf, headerBytes, (rec) => {
    count++;
    const { end } = recordSpan(rec);
    if (last === null || end > last) last = end;
  });
  const fh = await fsp.open(file, 'r+');
  let gap: GapRecord | null = null;
  try {
    if (torn !== null) {
      const start = last ?? header.created_ms;
      gap = {
        kind: 'gap',
        reason: 'recovery_truncated',
        start,
        end: Math.max(start, st.mtimeMs),
        count: 0,
        detail: `crash recovery cut ${buf.length - validBytes} damaged bytes at offset ${validBytes} (${torn.reason}); readings written there are lost`,
      };
      await fh.truncate(validBytes);
      await writeFully(fh, encodeRecord(gap), validBytes);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  const finalPath = await uniqueTarget(file.slice(0, -IN_PROGRESS_SUFFIX.length) + FINISHED_SUFFIX);
  await fsp.rename(file, finalPath);
  await fsyncDir(path.dirname(file));
  const entry: RecoveredFile = {
    progPath: file,
    finalPath,
    meta: header.meta,
    records: count,
    cutBytes: buf.length - validBytes,
    tornReason: torn?.reason ?? null,
    gap,
    lastRecordTime: last,
  };
  report.recovered.push(entry);
  if (torn !== null)
    logger.warn(
      { file: finalPath, records: count, cutBytes: entry.cutBytes, reason: torn.reason },
      'capture recovery: cut a torn tail',
    );
  else
    logger.info(
      { file: finalPath, records: count },
      'capture recovery: finished an interrupted file',
    );
}

/** Temporary files of writeFinishedFile (finished-file.ts) a crash left: never complete, never data. */
const LEFTOVER_TMP = /\.capture\.tmp-\d+$/;

/** Recover every `.prog` under `dir` (see the module comment). Never throws for one bad file. */
export async function recoverCaptureDir(dir: string, logger: Logger): Promise<RecoveryReport> {
  const report: RecoveryReport = { recovered: [], failed: [], emptyRemoved: [], errors: [] };
  for (const f of await walkCaptureDir(dir, [])) {
    if (!LEFTOVER_TMP.test(f.path)) continue;
    // its complete twin was renamed into place, or the work is repeated by sync: nothing is lost
    await fsp.unlink(f.path).catch(() => undefined);
    logger.info({ file: f.path }, 'capture recovery: removed a temporary file left by a crash');
  }
  for (const f of await listInProgressFiles(dir)) {
    try {
      await recoverOne(dir, f.path, logger, report);
    } catch (err) {
      logger.error(
        { file: f.path, err: errorMessage(err) },
        'capture recovery: could not recover file; left in place for the next start',
      );
      report.errors.push({ path: f.path, error: errorMessage(err) });
    }
  }
  return report;
}
