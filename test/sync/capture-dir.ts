/** Writes finished capture files into a capture directory the way the capture store lays them out. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { baseNameFor, relativeDirFor } from '../../src/capture/capture-store.js';
import type { CaptureMeta, CaptureRecord } from '../../src/shared/record.js';
import { captureFile, type TestFile } from '../cloud/fixtures.js';

export function writeCaptureFile(
  dir: string,
  m: CaptureMeta,
  records: CaptureRecord[],
  createdMs = Date.UTC(2026, 0, 1),
  suffix = '.capture',
): TestFile & { path: string } {
  const f = captureFile(m, records, undefined, createdMs);
  const sub = join(dir, relativeDirFor(m));
  mkdirSync(sub, { recursive: true });
  const path = join(sub, `${baseNameFor(createdMs, f.fileId)}${suffix}`);
  writeFileSync(path, f.bytes);
  return { ...f, path };
}
