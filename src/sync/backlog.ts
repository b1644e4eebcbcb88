/** The sync backlog of a capture directory: finished files waiting, their bytes, the oldest reading. */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { decodeCaptureFile, recordSpan } from '../capture/file-format.js';
import {
  FAILED_DIR,
  listFinishedFiles,
  listInProgressFiles,
  walkCaptureDir,
} from '../capture/files.js';

export interface Backlog {
  files: number;
  bytes: number;
  /** Time of the oldest reading (or gap start) in a finished file; null when there is none. */
  oldest_reading_ms: number | null;
  in_progress_files: number;
  failed_files: number;
}

export async function measureBacklog(captureDir: string): Promise<Backlog> {
  const files = await listFinishedFiles(captureDir);
  const prog = await listInProgressFiles(captureDir);
  const failed = (
    await walkCaptureDir(path.join(captureDir, FAILED_DIR), ['.capture', '.prog'], true)
  ).length;
  let oldest: number | null = null;
  // files are oldest first; the first readable one holds the oldest reading
  for (const f of files.slice(0, 5)) {
    try {
      const dec = decodeCaptureFile(await fsp.readFile(f.path));
      for (const r of dec.records) {
        const t = recordSpan(r).start;
        // a record with a bad time (NaN, missing) says nothing about age
        if (typeof t === 'number' && Number.isFinite(t) && (oldest === null || t < oldest))
          oldest = t;
      }
      const c = dec.header.created_ms;
      if (oldest === null && Number.isFinite(c)) oldest = c;
      if (oldest !== null) break;
    } catch {
      // vanished (synced meanwhile) or unreadable: try the next
    }
  }
  return {
    files: files.length,
    bytes: files.reduce((s, f) => s + f.size, 0),
    oldest_reading_ms: oldest,
    in_progress_files: prog.length,
    failed_files: failed,
  };
}
