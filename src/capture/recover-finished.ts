/**
 * Accounting for finished `.capture` files that cannot go to the cloud as they are.
 *
 * A damaged finished file (torn or corrupt tail, readable header) gives up only its damaged part,
 * like a `.prog` after a crash: every record before the first bad one is written to a new valid
 * file (file id `<id>-recovered`) followed by a `recovery_truncated` gap for the rest, and the
 * damaged original goes to `failed/` for inspection.
 *
 * A file the cloud rejected (its content is invalid for the cloud) goes to `failed/` and a small
 * new file holds one `sync_rejected` gap with the span and count of the readings it held, so the
 * hole is explained in the cloud too.
 *
 * Both new files have deterministic ids and bytes: if a crash repeats the work, the cloud answers
 * `already_stored`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureRecord, GapRecord } from '../shared/record.js';
import { decodeCaptureFile } from './file-format.js';
import { moveToFailed, type CaptureFileEntry } from './files.js';
import { readingSpan, writeFinishedFile } from './finished-file.js';

export const RECOVERED_ID_SUFFIX = '-recovered';
export const REJECTED_ID_SUFFIX = '-rejected';

export interface SalvageResult {
  /** The new valid file to sync (null when nothing could be written). */
  newFile: CaptureFileEntry | null;
  movedTo: string;
  gap: GapRecord | null;
  keptRecords: number;
}

async function entryOf(p: string): Promise<CaptureFileEntry> {
  const st = await fsp.stat(p);
  return { path: p, size: st.size, mtimeMs: st.mtimeMs };
}

const clip = (s: string, n = 400): string => (s.length > n ? `${s.slice(0, n)}…` : s);

/**
 * A finished file whose records stop early: salvage the intact prefix (see module comment).
 * Returns null when the header is unreadable (nothing can be salvaged: the caller moves it whole).
 */
export async function salvageDamagedFile(
  captureDir: string,
  file: string,
  logger: Logger,
): Promise<SalvageResult | null> {
  const buf = await fsp.readFile(file);
  const st = await fsp.stat(file);
  let d;
  try {
    d = decodeCaptureFile(buf);
  } catch {
    return null;
  }
  if (d.torn === null) return null;
  const kept = readingSpan(d.records);
  const start = kept.end ?? d.header.created_ms;
  const gap: GapRecord = {
    kind: 'gap',
    reason: 'recovery_truncated',
    start,
    end: Math.max(start, st.mtimeMs),
    count: 0,
    detail: `finished file ${path.basename(file)} was damaged at byte ${d.torn.offset} of ${buf.length} (${d.torn.reason}); ${d.records.length} records before it were kept, the ${buf.length - d.torn.offset} bytes after it are lost (number of readings unknown); the original is in failed/`,
  };
  const records: CaptureRecord[] = [...d.records, gap];
  const newPath = await writeFinishedFile(captureDir, d.header.meta, records, {
    fileId: `${d.header.file_id}${RECOVERED_ID_SUFFIX}`,
    createdMs: d.header.created_ms,
  });
  const movedTo = await moveToFailed(
    captureDir,
    file,
    `damaged at byte ${d.torn.offset} of ${buf.length}: ${d.torn.reason}; the ${d.records.length} intact records before it were written to ${path.relative(captureDir, newPath)}`,
  );
  logger.warn(
    {
      file,
      moved_to: movedTo,
      recovered_to: newPath,
      kept_records: d.records.length,
      cut_bytes: buf.length - d.torn.offset,
      reason: d.torn.reason,
    },
    'damaged capture file: intact records kept in a new file, the original moved to failed/',
  );
  return { newFile: await entryOf(newPath), movedTo, gap, keptRecords: d.records.length };
}

/**
 * A file the target rejected: move it to failed/ and write a `sync_rejected` gap for the readings
 * it held. A file that itself only carries `sync_rejected` gaps gets no new gap (no loop).
 */
export async function setAsideRejectedFile(
  captureDir: string,
  file: string,
  reason: string,
  logger: Logger,
): Promise<SalvageResult> {
  let gap: GapRecord | null = null;
  let newFile: CaptureFileEntry | null = null;
  try {
    const d = decodeCaptureFile(await fsp.readFile(file));
    const onlyRejectGaps =
      d.records.length > 0 &&
      d.records.every((r) => r.kind === 'gap' && r.reason === 'sync_rejected');
    if (!onlyRejectGaps && !d.header.file_id.endsWith(REJECTED_ID_SUFFIX)) {
      const s = readingSpan(d.records);
      const c = d.header.created_ms;
      const created = Number.isFinite(c) && c >= 0 && c <= 253_402_300_799_999 ? c : 0;
      const start = s.start ?? created;
      const gapCount = d.records.reduce(
        (n, r) => n + (r.kind === 'gap' && Number.isFinite(r.count) ? r.count : 0),
        0,
      );
      gap = {
        kind: 'gap',
        reason: 'sync_rejected',
        start,
        end: s.end ?? start,
        count: s.readings,
        detail: clip(
          `the cloud rejected ${path.relative(captureDir, file)} (${s.readings} readings, ${s.gaps} gap records${gapCount > 0 ? ` accounting ${gapCount} more missing` : ''}); it is kept in failed/ for inspection: ${reason}`,
        ),
      };
      newFile = await entryOf(
        await writeFinishedFile(captureDir, d.header.meta, [gap], {
          fileId: `${d.header.file_id}${REJECTED_ID_SUFFIX}`,
          createdMs: created,
        }),
      );
    }
  } catch (err) {
    logger.error(
      { file, err: errorMessage(err) },
      'rejected capture file: cannot write its sync_rejected gap record (header unreadable?)',
    );
  }
  const movedTo = await moveToFailed(captureDir, file, reason);
  return { newFile, movedTo, gap, keptRecords: 0 };
}
