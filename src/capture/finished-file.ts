/**
 * Writing a whole finished capture file at once, for records wharf adds after the fact (the gap
 * record for a file the cloud rejected, the intact part of a damaged finished file): encode,
 * write to a temporary name no reader lists, fsync, rename to `.capture`, fsync the directory.
 * A crash leaves either nothing or the complete file. The same (file id, records) always gives the
 * same bytes, so writing it again after a crash replaces it with itself.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import { baseNameFor, relativeDirFor } from './capture-store.js';
import { encodeCaptureFile, FINISHED_SUFFIX, recordSpan } from './file-format.js';
import { fsyncDir } from './files.js';

export async function writeFinishedFile(
  captureDir: string,
  meta: CaptureMeta,
  records: readonly CaptureRecord[],
  o: { fileId: string; createdMs: number },
): Promise<string> {
  const dir = path.join(captureDir, relativeDirFor(meta));
  await fsp.mkdir(dir, { recursive: true });
  const dest = path.join(dir, baseNameFor(o.createdMs, o.fileId) + FINISHED_SUFFIX);
  const tmp = `${dest}.tmp-${process.pid}`;
  const bytes = encodeCaptureFile(
    { version: 1, file_id: o.fileId, created_ms: o.createdMs, meta },
    records,
  );
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, dest);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dir);
  return dest;
}

/** Latest time a record may carry (9999-12-31): later or negative times are not times. */
const MAX_TIME_MS = 253_402_300_799_999;

/** Readings in `records` and the span of their (plausible) times; null span when there is none. */
export function readingSpan(records: readonly CaptureRecord[]): {
  readings: number;
  gaps: number;
  start: number | null;
  end: number | null;
} {
  let readings = 0;
  let gaps = 0;
  let start: number | null = null;
  let end: number | null = null;
  for (const r of records) {
    if (r.kind === 'reading') readings++;
    else gaps++;
    const s = recordSpan(r);
    for (const t of [s.start, s.end]) {
      if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > MAX_TIME_MS) continue;
      if (start === null || t < start) start = t;
      if (end === null || t > end) end = t;
    }
  }
  return { readings, gaps, start, end };
}
