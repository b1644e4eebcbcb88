/** Synthetic capture files for the sync and ingest benchmarks (the real encoder, realistic sizes). */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseNameFor, relativeDirFor } from '../src/capture/capture-store.js';
import { encodeCaptureFile } from '../src/capture/file-format.js';
import type { CaptureMeta, CaptureRecord } from '../src/shared/record.js';

export const BENCH_META = (i: number): CaptureMeta => ({
  part_id: 'bench-part',
  machine: 'bench-gateway',
  component_type: 'board',
  component_name: `esp-${i % 10}`,
  method_name: 'Analogs',
  additional_parameters: {},
  tags: ['bench'],
});

/** `records` Analogs readings of two readers, 10 ms apart, like a 100 Hz board. */
export function benchRecords(records: number, t0: number, seed: number): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (let i = 0; i < records; i++) {
    const t = t0 + i * 10;
    out.push({
      kind: 'reading',
      time_requested: t,
      time_received: t + 1.25,
      data: {
        A1: {
          value: (seed * 7 + i * 13) % 4096,
          min_range: 0,
          max_range: 3.3,
          step_size: 3.3 / 4095,
        },
        A2: {
          value: (seed * 11 + i * 17) % 4096,
          min_range: 0,
          max_range: 3.3,
          step_size: 3.3 / 4095,
        },
      },
    });
  }
  return out;
}

export interface BenchFile {
  fileId: string;
  bytes: Uint8Array;
  records: number;
}

export function benchFiles(n: number, recordsPerFile: number): BenchFile[] {
  const t0 = Date.UTC(2026, 0, 1);
  const out: BenchFile[] = [];
  for (let i = 0; i < n; i++) {
    const fileId = randomUUID();
    const start = t0 + i * recordsPerFile * 10;
    out.push({
      fileId,
      records: recordsPerFile,
      bytes: encodeCaptureFile(
        { version: 1, file_id: fileId, created_ms: start, meta: BENCH_META(i) },
        benchRecords(recordsPerFile, start, i),
      ),
    });
  }
  return out;
}

/** Lays the files out in a capture directory as the capture store would. */
export function writeBacklog(dir: string, files: BenchFile[]): void {
  files.forEach((f, i) => {
    const sub = path.join(dir, relativeDirFor(BENCH_META(i)));
    mkdirSync(sub, { recursive: true });
    writeFileSync(
      path.join(sub, `${baseNameFor(Date.UTC(2026, 0, 1) + i * 1000, f.fileId)}.capture`),
      f.bytes,
    );
  });
}
