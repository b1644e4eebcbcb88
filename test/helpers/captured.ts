/**
 * Reading capture dirs in tests: `capturedRows`, every record of the finished capture files under
 * `dir`, as Viam-shaped rows in time order (fails the calling test if any file has a torn tail:
 * finished files must be whole); `liveRecords`, what is on disk while a gateway writes.
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import {
  decodeCaptureFile,
  FINISHED_SUFFIX,
  IN_PROGRESS_SUFFIX,
} from '../../src/capture/file-format.js';
import { PREAMBLE_BYTES } from '../../src/capture/file-header.js';
import { listFinishedFiles, walkCaptureDir } from '../../src/capture/files.js';
import {
  toViamRow,
  type CaptureMeta,
  type CaptureRecord,
  type ViamRow,
} from '../../src/shared/record.js';

export async function capturedRows(dir: string): Promise<ViamRow[]> {
  const out: ViamRow[] = [];
  for (const f of await listFinishedFiles(dir)) {
    const d = decodeCaptureFile(await readFile(f.path));
    expect(d.torn).toBeNull();
    for (const r of d.records) out.push(toViamRow(d.header.meta, r));
  }
  return out.sort((a, b) => a.time_requested - b.time_requested);
}

/**
 * Every record on disk while a gateway runs: finished files and the files being written. A file
 * being written may be finished (renamed) between the walk and the read, and one just created has
 * no complete header yet (it is created before its first flush): both hold nothing to read yet,
 * as `wharf data ls` says of them. Any other damage fails the read.
 */
export async function liveRecords(
  dir: string,
): Promise<{ meta: CaptureMeta; rec: CaptureRecord }[]> {
  const out: { meta: CaptureMeta; rec: CaptureRecord }[] = [];
  for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX, IN_PROGRESS_SUFFIX])) {
    const bytes = await readFile(f.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (bytes === undefined) continue;
    if (f.path.endsWith(IN_PROGRESS_SUFFIX) && !hasCompleteHeader(bytes)) continue;
    const d = decodeCaptureFile(bytes);
    for (const rec of d.records) out.push({ meta: d.header.meta, rec });
  }
  return out;
}

/** The preamble and the header it announces (with its CRC) are all there (else decoding judges). */
function hasCompleteHeader(bytes: Uint8Array): boolean {
  if (bytes.length < PREAMBLE_BYTES) return false;
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  return len > 1 << 20 || bytes.length >= PREAMBLE_BYTES + len + 4;
}
