/**
 * SwitchingStore (a live capture_dir change): every record lands in exactly one directory, the
 * previous store's open files are finished there, and a previous store that cannot be closed (its
 * disk full) keeps its records, fails flush() (so the restart checkpoint holds) and is closed at a
 * later flush once there is room.
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { FileCaptureStore } from '../../../src/capture/file-store.js';
import { decodeCaptureFile, FINISHED_SUFFIX } from '../../../src/capture/file-format.js';
import { realCaptureIo, walkCaptureDir, type CaptureIo } from '../../../src/capture/files.js';
import { SwitchingStore } from '../../../src/capture/switching-store.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { CaptureRecord } from '../../../src/shared/record.js';
import { analogReading, fixedMeta } from './arbitraries.js';
import { useTempDirs } from './tmp.js';

const tempDir = useTempDirs();
const settings = {
  flush_interval_ms: 1000,
  maximum_capture_file_size_bytes: 1 << 20,
  maximum_capture_file_age_ms: 60_000,
};

async function recordsIn(dir: string, suffixes = [FINISHED_SUFFIX]): Promise<CaptureRecord[]> {
  const out: CaptureRecord[] = [];
  for (const f of await walkCaptureDir(dir, suffixes)) {
    const d = decodeCaptureFile(await readFile(f.path));
    expect(d.torn).toBeNull();
    out.push(...d.records);
  }
  return out;
}

/** node:fs, except that writes fail with ENOSPC while `full()`. */
function fillableIo(full: () => boolean): CaptureIo {
  return {
    ...realCaptureIo,
    async open(p, flags) {
      const fh = await realCaptureIo.open(p, flags);
      return {
        ...fh,
        write: (b, o, l, pos) =>
          full()
            ? Promise.reject(
                Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }),
              )
            : fh.write(b, o, l, pos),
        datasync: () => fh.datasync(),
        sync: () => fh.sync(),
        truncate: (n) => fh.truncate(n),
        close: () => fh.close(),
      };
    },
  };
}

describe('SwitchingStore', () => {
  it('after a switch new records go to the new store; the old one finishes its files; each record is in one dir', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const clock = new FakeClock();
    const mk = (dir: string) => new FileCaptureStore({ dir, settings, clock, logger: nullLogger });
    const sw = new SwitchingStore(mk(a));
    for (let i = 0; i < 5; i++) sw.append('k', fixedMeta, analogReading(i));
    await sw.flush(); // a .prog in a
    sw.append('k', fixedMeta, analogReading(5)); // pending in a's store at the switch
    await sw.switchTo(mk(b), (prev) => prev.close());
    for (let i = 6; i < 10; i++) sw.append('k', fixedMeta, analogReading(i));
    await sw.flush();
    expect(await walkCaptureDir(a, ['.prog'])).toEqual([]);
    expect(await recordsIn(a)).toEqual([0, 1, 2, 3, 4, 5].map((i) => analogReading(i)));
    await sw.close();
    expect(await recordsIn(b)).toEqual([6, 7, 8, 9].map((i) => analogReading(i)));
    expect(sw.stats()).toMatchObject({
      appended: 10,
      durable: 10,
      pendingRecords: 0,
      filesFinished: 2,
    });
  });

  it('an old store that cannot finish its files (disk full) keeps its records, fails flush until it can, then finishes them', async () => {
    const [a, b] = [await tempDir(), await tempDir()];
    const clock = new FakeClock();
    let full = false;
    const old = new FileCaptureStore({
      dir: a,
      settings,
      clock,
      logger: nullLogger,
      io: fillableIo(() => full),
    });
    const sw = new SwitchingStore(old);
    for (let i = 0; i < 3; i++) sw.append('k', fixedMeta, analogReading(i));
    await sw.flush();
    sw.append('k', fixedMeta, analogReading(3));
    sw.append('k', fixedMeta, analogReading(4));
    full = true;
    const next = new FileCaptureStore({ dir: b, settings, clock, logger: nullLogger });
    await expect(sw.switchTo(next, (prev) => prev.close())).rejects.toThrow(/ENOSPC/);
    for (let i = 5; i < 8; i++) sw.append('k', fixedMeta, analogReading(i));
    // the new store's records are durable, but flush() fails while the old ones are not
    await expect(sw.flush()).rejects.toThrow(
      /2 record\(s\) for a previous capture dir not written yet/,
    );
    expect(sw.stats().pendingRecords).toBe(2);
    expect(sw.stats().lastError).toMatch(/ENOSPC/);
    full = false;
    await sw.flush();
    expect(sw.stats().pendingRecords).toBe(0);
    expect(await walkCaptureDir(a, ['.prog'])).toEqual([]);
    expect(await recordsIn(a)).toEqual([0, 1, 2, 3, 4].map((i) => analogReading(i)));
    await sw.close();
    expect(await recordsIn(b)).toEqual([5, 6, 7].map((i) => analogReading(i)));
    expect(sw.stats()).toMatchObject({ appended: 8, durable: 8 });
  });
});
