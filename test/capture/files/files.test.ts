import { describe, expect, it } from 'vitest';
import { mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { listFinishedFiles, moveToFailed } from '../../../src/capture/files.js';
import { useTempDirs } from './tmp.js';

const tempDir = useTempDirs();

describe('capture dir helpers', () => {
  it('listFinishedFiles: every .capture under the dir, oldest first by the time in its name, without failed/ or .prog', async () => {
    const dir = await tempDir();
    const a = path.join(dir, 'board', 'a', 'Analogs');
    const b = path.join(dir, 'board', 'b', 'Gpio');
    await mkdir(a, { recursive: true });
    await mkdir(b, { recursive: true });
    await mkdir(path.join(dir, 'failed', 'board'), { recursive: true });
    await writeFile(path.join(a, '2026-01-01T00-00-02.000Z_x.capture'), 'x');
    await writeFile(path.join(b, '2026-01-01T00-00-01.000Z_y.capture'), 'yy');
    await writeFile(path.join(a, '2026-01-01T00-00-00.000Z_z.prog'), 'z');
    await writeFile(path.join(dir, 'failed', 'board', '2025-01-01T00-00-00.000Z_w.capture'), 'w');
    const odd = path.join(b, 'no-time-in-name.capture');
    await writeFile(odd, 'o');
    await utimes(odd, new Date(Date.UTC(2025, 5, 1)), new Date(Date.UTC(2025, 5, 1))); // falls back to mtime
    const files = await listFinishedFiles(dir);
    expect(files.map((f) => path.relative(dir, f.path))).toEqual([
      'board/b/Gpio/no-time-in-name.capture',
      'board/b/Gpio/2026-01-01T00-00-01.000Z_y.capture',
      'board/a/Analogs/2026-01-01T00-00-02.000Z_x.capture',
    ]);
    expect(files[1]!.size).toBe(2);
    expect(await listFinishedFiles(path.join(dir, 'missing'))).toEqual([]);
  });

  it('moveToFailed keeps the relative path, writes the reason beside it and never overwrites', async () => {
    const dir = await tempDir();
    const sub = path.join(dir, 'board', 'a', 'Analogs');
    await mkdir(sub, { recursive: true });
    const f = path.join(sub, 'f.capture');
    await writeFile(f, 'first');
    const to1 = await moveToFailed(dir, f, 'cloud rejected: bad header');
    expect(to1).toBe(path.join(dir, 'failed', 'board', 'a', 'Analogs', 'f.capture'));
    expect(await readFile(`${to1}.reason.txt`, 'utf8')).toMatch(
      /moved from .*f\.capture\nreason: cloud rejected: bad header\n/,
    );
    await writeFile(f, 'second');
    const to2 = await moveToFailed(dir, f, 'again');
    expect(to2).toBe(`${to1}.1`);
    expect(await readFile(to1, 'utf8')).toBe('first');
    expect(await readFile(to2, 'utf8')).toBe('second');
    expect(await readdir(sub)).toEqual([]);
  });
});
