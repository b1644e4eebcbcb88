import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { recoverCaptureDir } from '../../../src/capture/recovery.js';
import { decodeCaptureFile } from '../../../src/capture/file-format.js';
import { listFinishedFiles, walkCaptureDir } from '../../../src/capture/files.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { useTempDirs } from './tmp.js';

const tempDir = useTempDirs();
const WRITER = path.resolve('test/capture/files/crash-writer.ts');

/** Runs the writer until it has reported `flushes` durable flushes, then SIGKILLs it. */
function runAndKill(dir: string, name: string, flushes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, dir, name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let durable = -1;
    let seen = 0;
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('writer did not report durable flushes within 20 s'));
    }, 20_000);
    child.stdout.on('data', (b: Buffer) => {
      buf += b.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^durable (\d+)$/.exec(line);
        if (m === null) continue;
        durable = Number(m[1]);
        if (++seen === flushes) child.kill('SIGKILL');
      }
    });
    child.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited without being killed (${signal})`));
      else resolve(durable);
    });
  });
}

describe('FileCaptureStore under SIGKILL', () => {
  it('after kill -9 and recovery, every reading a resolved flush covered is on disk, as a gap-free prefix', async () => {
    const dir = await tempDir();
    for (let run = 0; run < 3; run++) {
      const name = `run-${run}`;
      const durable = await runAndKill(dir, name, 3 + Math.floor(Math.random() * 10));
      expect(durable).toBeGreaterThan(0);
      const report = await recoverCaptureDir(dir, nullLogger);
      expect(report.failed).toEqual([]);
      expect(report.errors).toEqual([]);
      expect(await walkCaptureDir(dir, ['.prog'])).toEqual([]);
      const seq: number[] = [];
      for (const f of await listFinishedFiles(dir)) {
        const d = decodeCaptureFile(await readFile(f.path));
        expect(d.torn).toBeNull();
        if (d.header.meta.component_name !== name) continue;
        for (const r of d.records) if (r.kind === 'reading') seq.push(r.time_requested);
      }
      expect(seq.length).toBeGreaterThanOrEqual(durable);
      expect(seq.every((v, i) => v === i)).toBe(true); // no hole, no duplicate, in order
    }
  }, 90_000);
});
