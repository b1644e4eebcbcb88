/**
 * Every record of the finished capture files under `dir`, as Viam-shaped rows in time order.
 * Fails the calling test if any file has a torn tail (finished files must be whole).
 */
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { decodeCaptureFile } from '../../src/capture/file-format.js';
import { listFinishedFiles } from '../../src/capture/files.js';
import { toViamRow, type ViamRow } from '../../src/shared/record.js';

export async function capturedRows(dir: string): Promise<ViamRow[]> {
  const out: ViamRow[] = [];
  for (const f of await listFinishedFiles(dir)) {
    const d = decodeCaptureFile(await readFile(f.path));
    expect(d.torn).toBeNull();
    for (const r of d.records) out.push(toViamRow(d.header.meta, r));
  }
  return out.sort((a, b) => a.time_requested - b.time_requested);
}
