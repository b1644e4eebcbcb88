import { describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { enforceDiskBudget, type BudgetSettings } from '../../../src/capture/disk-budget.js';
import { DiskBudgetRunner } from '../../../src/capture/disk-budget-runner.js';
import { FileCaptureStore } from '../../../src/capture/file-store.js';
import { MemoryCaptureStore } from '../../../src/capture/memory-store.js';
import { decodeCaptureFile } from '../../../src/capture/file-format.js';
import { listFinishedFiles, walkCaptureDir } from '../../../src/capture/files.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { GapRecord } from '../../../src/shared/record.js';
import { analogReading, fixedMeta } from './arbitraries.js';
import { useTempDirs } from './tmp.js';

const tempDir = useTempDirs();
const T0 = Date.UTC(2026, 0, 1);

const noLimits: BudgetSettings = {
  capture_dir_max_bytes: null,
  disk_usage_deletion_threshold: 0.9,
  capture_dir_deletion_threshold: 0.5,
  delete_every_nth_when_disk_full: 5,
};
const roomyDisk = async () => ({ totalBytes: 1e12, usedBytes: 1e9 });

/** `n` finished files of 10 readings each (file i holds readings 10i..10i+9), plus one open .prog. */
async function fillDir(n: number, t0 = T0) {
  const dir = await tempDir();
  const clock = new FakeClock(t0);
  const writer = new FileCaptureStore({
    dir,
    clock,
    logger: nullLogger,
    settings: {
      flush_interval_ms: 1000,
      maximum_capture_file_size_bytes: 1 << 20,
      maximum_capture_file_age_ms: 0,
    },
  });
  for (let f = 0; f < n; f++) {
    for (let i = 0; i < 10; i++) writer.append('k', fixedMeta, analogReading(f * 10 + i));
    await writer.rotateAll();
    clock.stall(1000);
  }
  writer.append('k', fixedMeta, analogReading(10_000));
  await writer.flush(); // leaves a .prog
  const files = await listFinishedFiles(dir);
  const total = (await walkCaptureDir(dir, [], true)).reduce((a, f) => a + f.size, 0);
  return { dir, writer, files, total };
}

describe('disk budget', () => {
  it('over capture_dir_max_bytes: deletes the oldest finished files until under quota, each as a disk_quota gap', async () => {
    const { dir, writer, files, total } = await fillDir(6);
    const store = new MemoryCaptureStore();
    const quota = total - files[0]!.size - files[1]!.size; // exactly two files too many
    const report = await enforceDiskBudget({
      dir,
      store,
      logger: nullLogger,
      settings: { ...noLimits, capture_dir_max_bytes: quota },
      diskUsage: roomyDisk,
    });
    expect(report.deleted.map((d) => d.path)).toEqual([files[0]!.path, files[1]!.path]);
    expect((await listFinishedFiles(dir)).map((f) => f.path)).toEqual(
      files.slice(2).map((f) => f.path),
    );
    const gaps = store.durableRecords('board/my-esp32/Analogs') as GapRecord[];
    expect(gaps).toHaveLength(2);
    expect(gaps[0]).toMatchObject({ kind: 'gap', reason: 'disk_quota', count: 10, start: T0 });
    expect(gaps[0]!.end).toBe(T0 + 9 * 10 + 1.25); // last reading's time_received
    expect(gaps[0]!.detail).toContain(path.relative(dir, files[0]!.path));
    expect(gaps[0]!.detail).toMatch(/10 readings.*capture_dir_max_bytes/);
    expect(gaps[1]!.start).toBe(T0 + 100);
    expect(store.files()[0]!.header.meta).toEqual(fixedMeta);
    await writer.close();
  });

  it('after a live capture_dir change the draining dir counts against the quota and its older files go first, the gaps into the current store', async () => {
    const old = await fillDir(3, T0);
    const cur = await fillDir(3, T0 + 3_600_000);
    const store = new MemoryCaptureStore();
    const quota = old.total + cur.total - old.files[0]!.size - old.files[1]!.size;
    // the current dir alone is within the quota: only the draining one's bytes push it over
    expect(cur.total).toBeLessThanOrEqual(quota);
    const alone = await enforceDiskBudget({
      dir: cur.dir,
      store,
      logger: nullLogger,
      settings: { ...noLimits, capture_dir_max_bytes: quota },
      diskUsage: roomyDisk,
    });
    expect(alone.deleted).toEqual([]);
    const report = await enforceDiskBudget({
      dir: cur.dir,
      drainingDirs: [old.dir],
      store,
      logger: nullLogger,
      settings: { ...noLimits, capture_dir_max_bytes: quota },
      diskUsage: roomyDisk,
    });
    expect(report.captureDirBytes).toBeLessThanOrEqual(quota);
    expect(report.deleted.map((d) => d.path)).toEqual([old.files[0]!.path, old.files[1]!.path]);
    expect((await listFinishedFiles(old.dir)).map((f) => f.path)).toEqual([old.files[2]!.path]);
    expect((await listFinishedFiles(cur.dir)).map((f) => f.path)).toEqual(
      cur.files.map((f) => f.path),
    );
    const gaps = store.durableRecords('board/my-esp32/Analogs') as GapRecord[];
    expect(gaps.map((g) => g.reason)).toEqual(['disk_quota', 'disk_quota']);
    expect(gaps[0]!.detail).toContain(path.relative(old.dir, old.files[0]!.path));
    await old.writer.close();
    await cur.writer.close();
  });

  it('never deletes a .prog or anything in failed/, even with a quota of 0', async () => {
    const { dir, writer } = await fillDir(3);
    await mkdir(path.join(dir, 'failed'), { recursive: true });
    await writeFile(path.join(dir, 'failed', 'x.capture'), 'damaged');
    const report = await enforceDiskBudget({
      dir,
      store: new MemoryCaptureStore(),
      logger: nullLogger,
      settings: { ...noLimits, capture_dir_max_bytes: 0 },
      diskUsage: roomyDisk,
    });
    expect(report.deleted).toHaveLength(3);
    expect(await walkCaptureDir(dir, ['.prog'])).toHaveLength(1);
    expect(await readFile(path.join(dir, 'failed', 'x.capture'), 'utf8')).toBe('damaged');
    await writer.close();
  });

  it('disk full and capture data a large share of it: deletes every nth finished file, oldest first', async () => {
    const { dir, writer, files, total } = await fillDir(12);
    const store = new MemoryCaptureStore();
    const report = await enforceDiskBudget({
      dir,
      store,
      logger: nullLogger,
      settings: noLimits,
      diskUsage: async () => ({ totalBytes: total / 0.5, usedBytes: (total / 0.5) * 0.95 }), // 95% used, capture dir ≈ 53% of used
    });
    expect(report.deleted.map((d) => d.path)).toEqual([
      files[0]!.path,
      files[5]!.path,
      files[10]!.path,
    ]);
    expect(report.deleted.every((d) => d.rule === 'disk_full')).toBe(true);
    const gaps = store.durableRecords('board/my-esp32/Analogs') as GapRecord[];
    expect(gaps.map((g) => g.count)).toEqual([10, 10, 10]);
    expect(gaps[0]!.detail).toMatch(/95\.0% used.*every 5th/);
    await writer.close();
  });

  it('does nothing when the disk is full but capture data is a small share of it, or the disk has room', async () => {
    const { dir, writer, total } = await fillDir(5);
    for (const usage of [
      { totalBytes: 1e9, usedBytes: 0.95e9 }, // full, but capture dir is a tiny share
      { totalBytes: total * 4, usedBytes: total * 1.2 }, // capture dir most of used, but disk 30% used
    ]) {
      const report = await enforceDiskBudget({
        dir,
        store: new MemoryCaptureStore(),
        logger: nullLogger,
        settings: noLimits,
        diskUsage: async () => usage,
      });
      expect(report.deleted).toEqual([]);
    }
    expect(await listFinishedFiles(dir)).toHaveLength(5);
    await writer.close();
  });

  it('with the real FileCaptureStore, the gap records land on disk before the files are gone', async () => {
    const { dir, writer, files } = await fillDir(4);
    await writer.close();
    const store = new FileCaptureStore({
      dir,
      clock: new FakeClock(T0 + 1e6),
      logger: nullLogger,
      settings: {
        flush_interval_ms: 1000,
        maximum_capture_file_size_bytes: 1 << 20,
        maximum_capture_file_age_ms: 0,
      },
    });
    await enforceDiskBudget({
      dir,
      store,
      logger: nullLogger,
      settings: { ...noLimits, capture_dir_max_bytes: 1 },
      diskUsage: roomyDisk,
    });
    const prog = await walkCaptureDir(dir, ['.prog']);
    expect(prog).toHaveLength(1); // the gaps, already durable, in the component's directory
    const d = decodeCaptureFile(await readFile(prog[0]!.path));
    expect(d.records.map((r) => r.kind === 'gap' && r.reason)).toEqual([
      'disk_quota',
      'disk_quota',
      'disk_quota',
      'disk_quota',
      'disk_quota',
    ]);
    expect(d.header.meta).toEqual(fixedMeta);
    expect(path.dirname(prog[0]!.path)).toBe(path.dirname(files[0]!.path));
    await store.close();
  });

  it('DiskBudgetRunner checks at start, on kick() (a file was finished) and on the injected clock until stopped', async () => {
    const { dir, writer } = await fillDir(2);
    const clock = new FakeClock(T0);
    const store = new MemoryCaptureStore();
    const settings = { ...noLimits, capture_dir_max_bytes: null as number | null };
    const runner = new DiskBudgetRunner({
      dir,
      store,
      clock,
      intervalMs: 30_000,
      logger: nullLogger,
      settings,
      diskUsage: roomyDisk,
    });
    runner.start(); // at start: nothing to do (no quota yet)
    await runner.idle();
    expect(await listFinishedFiles(dir)).toHaveLength(2);
    settings.capture_dir_max_bytes = 0;
    clock.advance(29_999);
    await new Promise((r) => setTimeout(r, 30)); // deliberate: a window in which nothing may be deleted
    await runner.idle();
    expect(await listFinishedFiles(dir)).toHaveLength(2);
    clock.advance(1); // the interval
    for (let i = 0; i < 200 && (await listFinishedFiles(dir)).length > 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(await listFinishedFiles(dir)).toHaveLength(0);
    // a finished file kicks a check at once, long before the interval
    for (let i = 0; i < 10; i++) writer.append('k', fixedMeta, analogReading(500 + i));
    await writer.rotateAll();
    expect(await listFinishedFiles(dir)).toHaveLength(1);
    runner.kick();
    await runner.idle();
    expect(await listFinishedFiles(dir)).toHaveLength(0);
    await runner.stop();
    for (let i = 0; i < 50 && clock.pending() > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(clock.pending()).toBe(0);
    await writer.close();
  });

  it('thinning a full disk: every deleted reading is accounted by a gap no later deletion erases', async () => {
    const dir = await tempDir();
    const clock = new FakeClock(T0);
    let runner: DiskBudgetRunner | undefined;
    const store = new FileCaptureStore({
      dir,
      clock,
      logger: nullLogger,
      settings: {
        flush_interval_ms: 1000,
        maximum_capture_file_size_bytes: 1 << 20,
        maximum_capture_file_age_ms: 0,
      },
      onFileFinished: () => runner?.kick(),
    });
    // the disk counts as full whenever the capture dir holds more than 10 files' worth
    const full = async () => {
      const used = (await walkCaptureDir(dir, [], true)).reduce((a, f) => a + f.size, 0);
      return { totalBytes: 12_000, usedBytes: Math.max(used, 1) };
    };
    runner = new DiskBudgetRunner({
      dir,
      store,
      clock,
      intervalMs: 1e9,
      logger: nullLogger,
      settings: { ...noLimits, delete_every_nth_when_disk_full: 2 },
      diskUsage: full,
    });
    runner.start();
    let written = 0;
    for (let f = 0; f < 60; f++) {
      for (let i = 0; i < 10; i++) store.append('k', fixedMeta, analogReading(written++));
      if (f % 3 === 0)
        store.append('k', fixedMeta, {
          kind: 'gap',
          reason: 'timeout',
          start: T0 + f,
          end: T0 + f,
          count: 1,
        });
      await store.rotateAll();
      await runner.idle();
      clock.stall(1000);
    }
    await runner.stop();
    await store.close();
    let kept = 0;
    let deleted = 0;
    let timeouts = 0;
    let zeroCount = 0;
    for (const f of await walkCaptureDir(dir, ['.capture'])) {
      const d = decodeCaptureFile(await readFile(f.path));
      for (const r of d.records) {
        if (r.kind === 'reading') kept++;
        else if (r.reason === 'disk_quota') {
          deleted += r.count;
          if (r.count === 0) zeroCount++;
        } else if (r.reason === 'timeout') timeouts += r.count;
      }
    }
    expect(deleted).toBeGreaterThan(0);
    expect(zeroCount).toBe(0); // a deletion always deleted readings
    expect(kept + deleted).toBe(written);
    expect(timeouts).toBe(20);
  });

  it('never above quota + one file, and every deleted reading is accounted by a gap no later deletion erases', async () => {
    const dir = await tempDir();
    const clock = new FakeClock(T0);
    let runner: DiskBudgetRunner | undefined;
    const store = new FileCaptureStore({
      dir,
      clock,
      logger: nullLogger,
      settings: {
        flush_interval_ms: 1000,
        maximum_capture_file_size_bytes: 1 << 20,
        maximum_capture_file_age_ms: 0,
      },
      onFileFinished: () => runner?.kick(),
    });
    const quota = 6000;
    runner = new DiskBudgetRunner({
      dir,
      store,
      clock,
      intervalMs: 1e9,
      logger: nullLogger,
      settings: { ...noLimits, capture_dir_max_bytes: quota },
      diskUsage: roomyDisk,
    });
    runner.start();
    let written = 0;
    let biggest = 0;
    let worst = 0;
    for (let f = 0; f < 150; f++) {
      // files of readings with a board's gap record in some of them
      for (let i = 0; i < 10; i++) store.append('k', fixedMeta, analogReading(written++));
      if (f % 3 === 0)
        store.append('k', fixedMeta, {
          kind: 'gap',
          reason: 'timeout',
          start: T0 + f,
          end: T0 + f,
          count: 1,
        });
      await store.rotateAll();
      await runner.idle();
      const files = await walkCaptureDir(dir, [], true);
      biggest = Math.max(biggest, ...files.map((x) => x.size));
      worst = Math.max(
        worst,
        files.reduce((a, x) => a + x.size, 0),
      );
      clock.stall(1000);
    }
    await runner.stop();
    await store.close();
    expect(worst).toBeLessThanOrEqual(quota + biggest);
    // read back everything on disk: readings kept + readings the disk_quota gaps say were deleted
    let kept = 0;
    let deleted = 0;
    let timeouts = 0;
    let quotaGaps = 0;
    for (const f of await walkCaptureDir(dir, ['.capture'])) {
      const d = decodeCaptureFile(await readFile(f.path));
      expect(d.torn).toBeNull();
      for (const r of d.records) {
        if (r.kind === 'reading') kept++;
        else if (r.reason === 'disk_quota') {
          deleted += r.count;
          quotaGaps++;
        } else if (r.reason === 'timeout') timeouts += r.count;
      }
    }
    expect(deleted).toBeGreaterThan(0);
    expect(kept + deleted).toBe(written);
    expect(timeouts).toBe(50); // every board gap survives, carried over as files go
    // consecutive deletions merge into spans as they meet, and a file carries at most 8 spans:
    // the account is bounded by what the quota holds, not by the number of deletions
    const keptFiles = (await walkCaptureDir(dir, ['.capture'])).length;
    expect(quotaGaps).toBeLessThanOrEqual(keptFiles * 8);
  });
});
