import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  decodeCaptureFile,
  decodeHeader,
  encodeCaptureFile,
  scanRecords,
} from '../../../src/capture/file-format.js';
import { recoverCaptureDir } from '../../../src/capture/recovery.js';
import { listFinishedFiles, walkCaptureDir } from '../../../src/capture/files.js';
import { memoryLogger, nullLogger } from '../../../src/shared/logger.js';
import type { CaptureRecord } from '../../../src/shared/record.js';
import { analogReading, fixedMeta, header, record } from './arbitraries.js';
import { useTempDirs } from './tmp.js';

const tempDir = useTempDirs();
const hdr = {
  version: 1 as const,
  file_id: 'f-small',
  created_ms: Date.UTC(2026, 0, 1),
  meta: fixedMeta,
};
const gapRec: CaptureRecord = {
  kind: 'gap',
  reason: 'timeout',
  start: Date.UTC(2026, 0, 1, 0, 0, 1),
  end: Date.UTC(2026, 0, 1, 0, 0, 2),
  count: 3,
  detail: 'board slow',
};
const small = [analogReading(0), analogReading(1), gapRec, analogReading(3)];
const full = encodeCaptureFile(hdr, small);
const headerBytes = decodeHeader(full).headerBytes;
/** End offset of every frame in the small file. */
const frameEnds: number[] = [];
scanRecords(full, headerBytes, (_r, off) => frameEnds.push(off));
frameEnds.shift();
frameEnds.push(full.length);

/** Records wholly contained in the first `n` bytes. */
const intactWithin = (n: number): number => frameEnds.filter((e) => e <= n).length;
/** Records before the frame that contains byte `i`. */
const intactBefore = (i: number): number => frameEnds.filter((e) => e <= i).length;

async function recoverBytes(bytes: Uint8Array) {
  const dir = await tempDir();
  const sub = path.join(dir, 'board', 'my-esp32', 'Analogs');
  await mkdir(sub, { recursive: true });
  const prog = path.join(sub, '2026-01-01T00-00-00.000Z_f-small.prog');
  await writeFile(prog, bytes);
  const report = await recoverCaptureDir(dir, nullLogger);
  return { dir, prog, report };
}

describe('crash recovery', () => {
  /** Every variant in its own component dir of ONE capture dir, recovered by one call. */
  async function recoverAll(variants: Uint8Array[]) {
    const dir = await tempDir();
    const subs: string[] = [];
    for (let v = 0; v < variants.length; v++) {
      const sub = path.join(dir, 'board', `v${v}`, 'Analogs');
      await mkdir(sub, { recursive: true });
      await writeFile(path.join(sub, '2026-01-01T00-00-00.000Z_f-small.prog'), variants[v]!);
      subs.push(sub);
    }
    const report = await recoverCaptureDir(dir, nullLogger);
    expect(report.errors).toEqual([]);
    expect(await walkCaptureDir(dir, ['.prog'])).toEqual([]); // every .prog was dealt with
    return { dir, subs, report };
  }

  async function finishedIn(sub: string) {
    const names = await readdir(sub).catch(() => []);
    expect(names).toEqual(['2026-01-01T00-00-00.000Z_f-small.capture']);
    const d = decodeCaptureFile(await readFile(path.join(sub, names[0]!)));
    expect(d.torn).toBeNull(); // the finished file is wholly readable
    expect(d.header).toEqual(hdr);
    return d.records;
  }

  function expectKept(records: CaptureRecord[], keep: number, damaged: boolean): void {
    expect(records.slice(0, keep)).toEqual(small.slice(0, keep));
    if (damaged) {
      expect(records).toHaveLength(keep + 1);
      expect(records[keep]).toMatchObject({ kind: 'gap', reason: 'recovery_truncated', count: 0 });
    } else expect(records).toHaveLength(keep);
  }

  async function expectFailed(dir: string, v: number, bytes: Uint8Array): Promise<void> {
    const failedSub = path.join(dir, 'failed', 'board', `v${v}`, 'Analogs');
    expect((await readdir(failedSub)).sort()).toEqual([
      '2026-01-01T00-00-00.000Z_f-small.prog',
      '2026-01-01T00-00-00.000Z_f-small.prog.reason.txt',
    ]);
    expect(
      Buffer.compare(
        await readFile(path.join(failedSub, '2026-01-01T00-00-00.000Z_f-small.prog')),
        Buffer.from(bytes),
      ),
    ).toBe(0); // kept byte for byte
  }

  it('truncation at every byte offset of a small file: intact records kept, tail cut, file readable', async () => {
    const variants = Array.from({ length: full.length + 1 }, (_, n) => full.slice(0, n));
    const { dir, subs, report } = await recoverAll(variants);
    expect(report.emptyRemoved).toEqual([
      path.join(subs[0]!, '2026-01-01T00-00-00.000Z_f-small.prog'),
    ]);
    expect(report.failed).toHaveLength(headerBytes - 1);
    expect(report.recovered).toHaveLength(full.length + 1 - headerBytes);
    for (let n = 1; n <= full.length; n++) {
      if (n < headerBytes) await expectFailed(dir, n, variants[n]!);
      else
        expectKept(
          await finishedIn(subs[n]!),
          intactWithin(n),
          !(n === headerBytes || frameEnds.includes(n)),
        );
    }
  });

  it('corruption of every single byte of a small file: records before the damage kept, file readable', async () => {
    const variants = Array.from({ length: full.length }, (_, i) => {
      const bad = full.slice();
      bad[i] = bad[i]! ^ 0xff;
      return bad;
    });
    const { dir, subs, report } = await recoverAll(variants);
    expect(report.failed).toHaveLength(headerBytes);
    for (const f of report.failed) expect(f.reason).toMatch(/header|magic|version/);
    for (let i = 0; i < full.length; i++) {
      if (i < headerBytes) await expectFailed(dir, i, variants[i]!);
      else expectKept(await finishedIn(subs[i]!), intactBefore(i), true);
    }
  });

  it('property: any file, cut anywhere and with any byte corrupted, recovers its intact prefix', async () => {
    await fc.assert(
      fc.asyncProperty(
        header,
        fc.array(record, { minLength: 1, maxLength: 12 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (h, recs, cutSeed, posSeed, xor) => {
          const buf = encodeCaptureFile(h, recs);
          const hb = decodeHeader(buf).headerBytes;
          const ends: number[] = [];
          scanRecords(buf, hb, (_r, off) => ends.push(off));
          ends.shift();
          ends.push(buf.length);
          const len = hb + (cutSeed % (buf.length - hb + 1));
          const bad = buf.slice(0, len);
          const pos = len > hb ? hb + (posSeed % (len - hb)) : -1;
          if (pos >= 0) bad[pos] = bad[pos]! ^ xor;
          const keep = ends.filter((e) => e <= (pos >= 0 ? pos : len)).length;
          const { dir } = await recoverBytes(bad);
          const files = await listFinishedFiles(dir);
          const d = decodeCaptureFile(await readFile(files[0]!.path));
          expect(d.torn).toBeNull();
          expect(d.records.slice(0, keep)).toEqual(recs.slice(0, keep));
          expect(
            d.records.length === keep ||
              (d.records.length === keep + 1 && d.records[keep]!.kind === 'gap'),
          ).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the gap spans from the last intact record to the file mtime and explains the cut', async () => {
    const bytes = full.subarray(0, frameEnds[1]! + 5);
    const { report } = await recoverBytes(bytes);
    const r = report.recovered[0]!;
    expect(r.records).toBe(2);
    expect(r.gap).toMatchObject({
      reason: 'recovery_truncated',
      start: small[1]!.kind === 'reading' ? small[1]!.time_received : 0,
    });
    expect(r.gap!.end).toBeGreaterThanOrEqual(r.gap!.start);
    expect(r.gap!.detail).toMatch(/cut 5 damaged bytes at offset \d+/);
    expect(r.lastRecordTime).toBe(r.gap!.start);
  });

  it('a clean .prog is finished as .capture without a gap, and the log says so', async () => {
    const dir = await tempDir();
    const sub = path.join(dir, 'board', 'x', 'Gpio');
    await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, 'a.prog'), full);
    const log = memoryLogger();
    const report = await recoverCaptureDir(dir, log);
    expect(report.recovered[0]).toMatchObject({ records: 4, cutBytes: 0, gap: null });
    expect(await readdir(sub)).toEqual(['a.capture']);
    expect(Buffer.compare(await readFile(path.join(sub, 'a.capture')), Buffer.from(full))).toBe(0);
    expect(log.lines.some((l) => l.msg.includes('finished an interrupted file'))).toBe(true);
  });

  it('never overwrites an existing .capture of the same name', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'a.capture'), full);
    await writeFile(path.join(dir, 'a.prog'), full.subarray(0, full.length - 3));
    await recoverCaptureDir(dir, nullLogger);
    expect((await readdir(dir)).sort()).toEqual(['a.1.capture', 'a.capture']);
  });

  it('removes the temporary file a crash left while a whole finished file was written, nothing else', async () => {
    const dir = await tempDir();
    const full = encodeCaptureFile(hdr, [analogReading(0)]);
    await writeFile(path.join(dir, 'a.capture'), full);
    await writeFile(path.join(dir, 'b.capture.tmp-4242'), full.subarray(0, 20));
    await writeFile(path.join(dir, 'notes.tmp-1'), 'kept');
    await recoverCaptureDir(dir, nullLogger);
    expect((await readdir(dir)).sort()).toEqual(['a.capture', 'notes.tmp-1']);
  });
});
