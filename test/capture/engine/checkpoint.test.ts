import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint, writeCheckpoint } from '../../../src/capture/checkpoint.js';
import { lastTicksOf } from '../../../src/capture/resume-times.js';
import { IN_FLIGHT_DETAIL } from '../../../src/capture/collector-polled.js';
import { encodeCaptureFile } from '../../../src/capture/file-format.js';
import { memoryLogger, nullLogger } from '../../../src/shared/logger.js';
import type { CaptureMeta, CaptureRecord } from '../../../src/shared/record.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const meta: CaptureMeta = {
  part_id: 'p',
  machine: 'm',
  component_type: 'board',
  component_name: 'b',
  method_name: 'Gpio',
  additional_parameters: {},
  tags: [],
};
const reading = (t: number): CaptureRecord => ({
  kind: 'reading',
  time_requested: t,
  time_received: t + 3,
  data: { '27': { high: true } },
});

function file(name: string, records: CaptureRecord[]): { finalPath: string; meta: CaptureMeta } {
  const p = path.join(dir, name);
  writeFileSync(p, encodeCaptureFile({ version: 1, file_id: name, created_ms: 0, meta }, records));
  return { finalPath: p, meta };
}

describe('restart marks', () => {
  it('the last tick of a recovered file is a reading tick, not its arrival time', async () => {
    const [r] = await lastTicksOf(
      [file('a', [reading(1000), reading(1010)])],
      nullLogger,
      () => 10,
    );
    expect(r!.lastRecordTime).toBe(1010);
  });

  it('a read still in flight when the process died holds the mark before its tick', async () => {
    // tick 1010's read was in flight while 1020..1050 were missed; its reading never reached the disk
    const gap: CaptureRecord = {
      kind: 'gap',
      reason: 'missed_ticks',
      start: 1020,
      end: 1050,
      count: 4,
      detail: IN_FLIGHT_DETAIL,
    };
    const [lost] = await lastTicksOf([file('b', [reading(1000), gap])], nullLogger, () => 10);
    expect(lost!.lastRecordTime).toBe(1000);
    // …and when it did reach the disk, the mark is the gap's end
    const [landed] = await lastTicksOf(
      [file('c', [reading(1000), gap, reading(1010)])],
      nullLogger,
      () => 10,
    );
    expect(landed!.lastRecordTime).toBe(1050);
  });

  it('checkpoint round trip; a damaged checkpoint is ignored with a warning', async () => {
    await writeCheckpoint(dir, new Map([['k', 123.5]]), 1);
    expect([...(await readCheckpoint(dir, nullLogger))]).toEqual([['k', 123.5]]);
    writeFileSync(path.join(dir, '.wharf-checkpoint.json'), '{"version":1,"entr');
    const log = memoryLogger();
    expect((await readCheckpoint(dir, log)).size).toBe(0);
    expect(log.lines.some((l) => l.level === 'warn' && /damaged/.test(l.msg))).toBe(true);
  });
});
