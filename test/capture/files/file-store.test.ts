import { describe, expect, it } from 'vitest';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { FileCaptureStore, type FileCaptureStoreOptions } from '../../../src/capture/file-store.js';
import { decodeCaptureFile } from '../../../src/capture/file-format.js';
import {
  listFinishedFiles,
  realCaptureIo,
  walkCaptureDir,
  type CaptureIo,
} from '../../../src/capture/files.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { memoryLogger, nullLogger } from '../../../src/shared/logger.js';
import type { CaptureRecord } from '../../../src/shared/record.js';
import { analogReading, fixedMeta } from './arbitraries.js';
import { useTempDirs } from './tmp.js';

const tempDir = useTempDirs();
const T0 = Date.UTC(2026, 0, 1);

function settings(
  over: Partial<FileCaptureStoreOptions['settings']> = {},
): FileCaptureStoreOptions['settings'] {
  return {
    flush_interval_ms: 1000,
    maximum_capture_file_size_bytes: 256 * 1024,
    maximum_capture_file_age_ms: 60_000,
    ...over,
  };
}

/** Records every file operation (in order) on top of the real ones. */
function recordingIo(log: string[], fail?: (op: string, p: string) => Error | null): CaptureIo {
  const rel = (p: string) => path.basename(p);
  const check = (op: string, p: string) => {
    const e = fail?.(op, p) ?? null;
    if (e !== null) throw e;
  };
  return {
    async open(p, flags) {
      check('open', p);
      log.push(`open ${rel(p)} ${flags}`);
      const fh = await realCaptureIo.open(p, flags);
      return {
        async write(b, o, l, pos) {
          check('write', p);
          log.push(`write ${rel(p)} @${pos}`);
          return fh.write(b, o, l, pos);
        },
        async datasync() {
          log.push(`datasync ${rel(p)}`);
          return fh.datasync();
        },
        async sync() {
          log.push(`sync ${rel(p)}`);
          return fh.sync();
        },
        async truncate(n) {
          log.push(`truncate ${rel(p)} ${n}`);
          return fh.truncate(n);
        },
        async close() {
          log.push(`close ${rel(p)}`);
          return fh.close();
        },
      };
    },
    async rename(a, b) {
      check('rename', a);
      log.push(`rename ${rel(a)} -> ${rel(b)}`);
      return realCaptureIo.rename(a, b);
    },
    async fsyncDir(d) {
      log.push(`fsyncdir ${rel(d)}`);
      return realCaptureIo.fsyncDir(d);
    },
    async mkdir(d) {
      log.push(`mkdir`);
      return realCaptureIo.mkdir(d);
    },
  };
}

async function readAll(
  dir: string,
): Promise<{ file: string; records: CaptureRecord[]; bytes: number }[]> {
  const out = [];
  for (const f of await listFinishedFiles(dir)) {
    const d = decodeCaptureFile(await readFile(f.path));
    expect(d.torn).toBeNull();
    out.push({ file: f.path, records: d.records, bytes: f.size });
  }
  return out;
}

describe('FileCaptureStore on disk', () => {
  it('writes <dir>/<type>/<name>/<method>/<time>_<id>.prog and finishes it as .capture', async () => {
    const dir = await tempDir();
    const clock = new FakeClock(Date.UTC(2026, 2, 4, 5, 6, 7, 890));
    const store = new FileCaptureStore({ dir, clock, logger: nullLogger, settings: settings() });
    store.append('k', fixedMeta, analogReading(0));
    await store.flush();
    const sub = path.join(dir, 'board', 'my-esp32', 'Analogs');
    const [prog] = await readdir(sub);
    expect(prog).toMatch(/^2026-03-04T05-06-07\.890Z_[0-9a-f-]{36}\.prog$/);
    await store.close();
    expect(await readdir(sub)).toEqual([prog!.replace(/\.prog$/, '.capture')]);
    const d = decodeCaptureFile(
      await readFile(path.join(sub, prog!.replace(/\.prog$/, '.capture'))),
    );
    expect(d.header).toMatchObject({
      version: 1,
      created_ms: Date.UTC(2026, 2, 4, 5, 6, 7, 890),
      meta: fixedMeta,
    });
    expect(prog).toContain(d.header.file_id);
  });

  it('one write + one datasync per file per flush; rotation is sync → close → rename → fsync dir', async () => {
    const dir = await tempDir();
    const log: string[] = [];
    const store = new FileCaptureStore({
      dir,
      clock: new FakeClock(),
      logger: nullLogger,
      settings: settings(),
      io: recordingIo(log),
    });
    for (let i = 0; i < 1000; i++) store.append('k', fixedMeta, analogReading(i));
    await store.flush();
    const name = log.find((l) => l.startsWith('open'))!.split(' ')[1]!;
    // new directories: each parent fsynced (so the new entries survive a power cut), then the file
    expect(log[0]).toBe('mkdir');
    expect(log.slice(1, 4).sort()).toEqual(
      ['fsyncdir ' + path.basename(dir), 'fsyncdir board', 'fsyncdir my-esp32'].sort(),
    );
    expect(log.slice(4)).toEqual([
      `open ${name} wx`,
      `write ${name} @0`,
      `datasync ${name}`,
      'fsyncdir Analogs',
    ]);
    const size = (await stat(path.join(dir, 'board/my-esp32/Analogs', name))).size;
    log.length = 0;
    for (let i = 1000; i < 2000; i++) store.append('k', fixedMeta, analogReading(i));
    await store.flush();
    expect(log).toEqual([`write ${name} @${size}`, `datasync ${name}`]);
    log.length = 0;
    await store.rotateAll();
    const fin = name.replace('.prog', '.capture');
    expect(log).toEqual([
      `sync ${name}`,
      `close ${name}`,
      `rename ${name} -> ${fin}`,
      'fsyncdir Analogs',
    ]);
    expect((await readAll(dir))[0]!.records).toHaveLength(2000);
  });

  it('rotates at maximum_capture_file_size_bytes, splitting a fast stream into several files with no record lost', async () => {
    const dir = await tempDir();
    const max = 4096;
    const store = new FileCaptureStore({
      dir,
      clock: new FakeClock(),
      logger: nullLogger,
      settings: settings({ maximum_capture_file_size_bytes: max }),
    });
    const recs = Array.from({ length: 1000 }, (_, i) => analogReading(i));
    for (const r of recs) store.append('k', fixedMeta, r);
    await store.flush();
    const files = await readAll(dir);
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap((f) => f.records)).toEqual(
      recs.slice(0, files.flatMap((f) => f.records).length),
    );
    for (const f of files) expect(f.bytes).toBeLessThan(max + 200); // at most one record past the limit
    expect(await walkCaptureDir(dir, ['.prog'])).toHaveLength(1); // the current one
    await store.close();
    expect((await readAll(dir)).flatMap((f) => f.records)).toEqual(recs);
    expect(new Set(files.map((f) => path.dirname(f.file))).size).toBe(1);
  });

  it('between flushes, large buffers are written ahead (memory stays small) but count as durable only after the sync', async () => {
    const dir = await tempDir();
    const log: string[] = [];
    const store = new FileCaptureStore({
      dir,
      clock: new FakeClock(),
      logger: nullLogger,
      settings: settings({ maximum_capture_file_size_bytes: 1 << 30 }),
      io: recordingIo(log),
    });
    for (let i = 0; i < 10_000; i++) {
      store.append('k', fixedMeta, analogReading(i));
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < 100 && store.stats().pendingBytes > 128 * 1024; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(store.stats().pendingBytes).toBeLessThan(128 * 1024); // ~680 KB appended
    expect(store.stats().durable).toBe(0);
    expect(log.some((l) => l.startsWith('datasync'))).toBe(false);
    await store.flush();
    expect(store.stats()).toMatchObject({ durable: 10_000, pendingBytes: 0 });
    expect(log.filter((l) => l.startsWith('datasync'))).toHaveLength(1);
    await store.close();
    expect((await readAll(dir))[0]!.records).toHaveLength(10_000);
  });

  it('rotates at maximum_capture_file_age_ms on the flush timer', async () => {
    const dir = await tempDir();
    const clock = new FakeClock();
    const store = new FileCaptureStore({
      dir,
      clock,
      logger: nullLogger,
      settings: settings({ flush_interval_ms: 100, maximum_capture_file_age_ms: 1000 }),
    });
    store.append('k', fixedMeta, analogReading(0));
    for (let i = 0; i < 9; i++) {
      clock.advance(100);
      await new Promise((r) => setTimeout(r, 15)); // deliberate: let a (wrong) rotation show
    }
    expect(await listFinishedFiles(dir)).toHaveLength(0);
    for (let i = 0; i < 100 && (await listFinishedFiles(dir)).length === 0; i++) {
      clock.advance(100);
      await new Promise((r) => setTimeout(r, 15));
    }
    expect((await readAll(dir)).map((f) => f.records.length)).toEqual([1]);
    await store.close();
  });

  it('a failed write is rewritten at the same offset; the finished file has no torn bytes in the middle', async () => {
    const dir = await tempDir();
    const log: string[] = [];
    let failWrites = 0;
    const io = recordingIo(log, (op) =>
      op === 'write' && failWrites-- > 0
        ? Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
        : null,
    );
    const logger = memoryLogger();
    const store = new FileCaptureStore({
      dir,
      clock: new FakeClock(),
      logger,
      settings: settings(),
      io,
    });
    store.append('k', fixedMeta, analogReading(0));
    await store.flush();
    failWrites = 2;
    store.append('k', fixedMeta, analogReading(1));
    await expect(store.flush()).rejects.toThrow(/ENOSPC.*retried at the next flush/);
    store.append('k', fixedMeta, analogReading(2));
    await expect(store.flush()).rejects.toThrow(/CAPTURE_IO|ENOSPC/);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1); // same error logged once
    await store.close();
    const writes = log.filter((l) => l.startsWith('write')).map((l) => l.split('@')[1]);
    expect(new Set(writes.slice(1)).size).toBe(1); // all retries at the same offset
    expect((await readAll(dir))[0]!.records).toEqual([
      analogReading(0),
      analogReading(1),
      analogReading(2),
    ]);
  });

  it('a failed rename is retried at the next flush and the file still finishes', async () => {
    const dir = await tempDir();
    let failRename = true;
    const io = recordingIo([], (op) =>
      op === 'rename' && failRename ? new Error('EIO: rename failed') : null,
    );
    const store = new FileCaptureStore({
      dir,
      clock: new FakeClock(),
      logger: nullLogger,
      settings: settings(),
      io,
    });
    store.append('k', fixedMeta, analogReading(0));
    await expect(store.rotateAll()).rejects.toThrow(/EIO/);
    failRename = false;
    await store.flush();
    expect((await readAll(dir)).map((f) => f.records.length)).toEqual([1]);
    expect(store.stats()).toMatchObject({ filesFinished: 1, filesOpen: 0 });
    await store.close();
  });

  it('past the memory backlog limit, records are refused and a backlog_overflow gap accounts for them', async () => {
    const dir = await tempDir();
    let broken = true;
    const io = recordingIo([], (op) =>
      op === 'open' && broken ? new Error('EACCES: permission denied') : null,
    );
    const store = new FileCaptureStore({
      dir,
      clock: new FakeClock(),
      logger: nullLogger,
      settings: settings(),
      io,
      maxPendingBytes: 2000,
    });
    for (let i = 0; i < 100; i++) store.append('k', fixedMeta, analogReading(i));
    // a refused gap record's readings are carried into the overflow gap too
    store.append('k', fixedMeta, {
      kind: 'gap',
      reason: 'timeout',
      start: T0 + 5000,
      end: T0 + 5001,
      count: 7,
    });
    await expect(store.flush()).rejects.toThrow(/EACCES/);
    const st = store.stats();
    expect(st.dropped).toBeGreaterThan(50);
    expect(st.appended + st.dropped).toBe(101);
    broken = false;
    await store.flush();
    store.append('k', fixedMeta, analogReading(100));
    await store.close();
    const recs = (await readAll(dir)).flatMap((f) => f.records);
    const g = recs.find((r) => r.kind === 'gap');
    expect(g).toMatchObject({
      kind: 'gap',
      reason: 'backlog_overflow',
      count: st.dropped - 1 + 7,
      end: T0 + 5001,
    });
    expect(g!.kind === 'gap' && g!.detail).toMatch(/EACCES.*\d+ records in this span were refused/);
    expect(recs.filter((r) => r.kind === 'reading')).toHaveLength(st.appended + 1); // + reading 100
  });
});
