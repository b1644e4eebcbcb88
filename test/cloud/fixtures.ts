/** Test fixtures for the cloud: synthetic capture files made with the real capture file encoder. */
import { randomUUID } from 'node:crypto';
import { encodeCaptureFile } from '../../src/capture/file-format.js';
import type { CaptureMeta, CaptureRecord } from '../../src/shared/record.js';

export function meta(over: Partial<CaptureMeta> = {}): CaptureMeta {
  return {
    part_id: 'part-a',
    machine: 'machine-a',
    component_type: 'board',
    component_name: 'esp-1',
    method_name: 'Analogs',
    additional_parameters: {},
    tags: ['line-1'],
    ...over,
  };
}

/** `n` analog readings starting at t0, one every `stepMs`; value i for reader a0, 1000-i for a1. */
export function readings(
  n: number,
  t0 = Date.UTC(2026, 0, 1),
  stepMs = 100,
  base = 0,
): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (let i = 0; i < n; i++) {
    const t = t0 + i * stepMs;
    out.push({
      kind: 'reading',
      time_requested: t,
      time_received: t + 0.5,
      data: {
        a0: { value: base + i, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 },
        a1: { value: 1000 - i, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 },
      },
    });
  }
  return out;
}

export interface TestFile {
  fileId: string;
  bytes: Uint8Array;
  meta: CaptureMeta;
  records: CaptureRecord[];
}

export function captureFile(
  m: CaptureMeta,
  records: CaptureRecord[],
  fileId: string = randomUUID(),
  createdMs = Date.UTC(2026, 0, 1),
): TestFile {
  return {
    fileId,
    meta: m,
    records,
    bytes: encodeCaptureFile(
      { version: 1, file_id: fileId, created_ms: createdMs, meta: m },
      records,
    ),
  };
}
