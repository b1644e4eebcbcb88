import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFinishedFiles } from '../../src/capture/files.js';
import { FakeClock } from '../../src/shared/clock.js';
import { Metrics } from '../../src/shared/metrics.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/sync/backoff.js';
import { MemorySyncTarget } from '../../src/sync/memory-target.js';
import { readStatus } from '../../src/sync/status-file.js';
import { SyncWorker } from '../../src/sync/worker.js';
import { meta, readings } from '../cloud/fixtures.js';
import { writeCaptureFile } from './capture-dir.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-sync-'));
});
afterEach(() => {
  // a pass still moving a file to failed/ when the test ends would make one rmdir see a new entry
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
});

const files = async (): Promise<number> => (await listFinishedFiles(dir)).length;

describe('SyncWorker', () => {
  it('uploads every finished file, deletes each after its ack, and never touches .prog files', async () => {
    const target = new MemorySyncTarget();
    const a = writeCaptureFile(dir, meta(), readings(10), Date.UTC(2026, 0, 1));
    const b = writeCaptureFile(
      dir,
      meta({ component_name: 'esp-2' }),
      readings(5),
      Date.UTC(2026, 0, 2),
    );
    const prog = writeCaptureFile(dir, meta(), readings(3), Date.UTC(2026, 0, 3), '.prog');
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000, clock: new FakeClock() });
    const r = await w.syncNow();
    expect(r).toMatchObject({
      uploaded: 2,
      alreadyStored: 0,
      failed: 0,
      records: 15,
      remaining: 0,
      error: null,
    });
    expect([...target.files.keys()].sort()).toEqual([a.fileId, b.fileId].sort());
    expect(Buffer.from(target.files.get(a.fileId)!.bytes).equals(Buffer.from(a.bytes))).toBe(true);
    expect(existsSync(a.path)).toBe(false);
    expect(existsSync(b.path)).toBe(false);
    expect(existsSync(prog.path)).toBe(true);
    expect(target.files.has(prog.fileId)).toBe(false);
    await w.stop();
  });

  it('keeps a file until the target acknowledged it', async () => {
    const target = new MemorySyncTarget();
    let release!: () => void;
    target.gate = () => new Promise<void>((r) => (release = r));
    const a = writeCaptureFile(dir, meta(), readings(4));
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000, clock: new FakeClock() });
    const pass = w.syncNow();
    for (let i = 0; i < 100 && target.inFlight === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    expect(target.inFlight).toBe(1);
    expect(existsSync(a.path)).toBe(true);
    release();
    await pass;
    expect(existsSync(a.path)).toBe(false);
  });

  it('stops promptly while an upload hangs, and keeps that file', async () => {
    const target = new MemorySyncTarget();
    target.gate = () => new Promise<void>(() => undefined); // never answers
    const a = writeCaptureFile(dir, meta(), readings(4));
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000, clock: new FakeClock() });
    w.start();
    for (let i = 0; i < 200 && target.inFlight === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    const t = Date.now();
    await w.stop();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(existsSync(a.path)).toBe(true);
    expect(target.files.size).toBe(0);
  });

  it('keeps every file while the target is unreachable, then drains the backlog', async () => {
    const target = new MemorySyncTarget();
    target.offline = true;
    for (let i = 0; i < 6; i++)
      writeCaptureFile(dir, meta(), readings(3), Date.UTC(2026, 0, 1, 0, i));
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000, clock: new FakeClock() });
    const r = await w.syncNow();
    expect(r.error?.code).toBe('SYNC_UNREACHABLE');
    expect(await files()).toBe(6);
    expect(w.status()).toMatchObject({
      state: 'retrying',
      consecutive_failures: 1,
      last_error: { code: 'SYNC_UNREACHABLE' },
    });
    target.offline = false;
    const r2 = await w.syncNow();
    expect(r2).toMatchObject({ uploaded: 6, error: null });
    expect(await files()).toBe(0);
    expect(w.status()).toMatchObject({
      state: 'idle',
      consecutive_failures: 0,
      last_error: { code: 'SYNC_UNREACHABLE' },
    });
    expect(w.status().last_sync_ms).not.toBeNull();
  });

  it('answers already_stored re-uploads by deleting the local copy (a crash after upload, before delete)', async () => {
    const target = new MemorySyncTarget();
    const a = writeCaptureFile(dir, meta(), readings(4));
    await target.upload({
      fileId: a.fileId,
      sha256: (await import('node:crypto')).createHash('sha256').update(a.bytes).digest('hex'),
      bytes: a.bytes,
      machine: 'machine-a',
      records: 4,
    });
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000, clock: new FakeClock() });
    expect(await w.syncNow()).toMatchObject({ uploaded: 0, alreadyStored: 1, error: null });
    expect(existsSync(a.path)).toBe(false);
    expect(target.files.size).toBe(1);
  });

  it('moves a file the target rejects to failed/ with the reason, and carries on with the rest', async () => {
    const target = new MemorySyncTarget();
    const bad = writeCaptureFile(dir, meta(), readings(2), Date.UTC(2026, 0, 1));
    const good = writeCaptureFile(dir, meta(), readings(2), Date.UTC(2026, 0, 2));
    target.rejectIds.add(bad.fileId);
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000, clock: new FakeClock() });
    // the good file and the bad file's sync_rejected gap record are uploaded
    expect(await w.syncNow()).toMatchObject({ uploaded: 2, failed: 1, error: null, remaining: 0 });
    const failedDir = join(dir, 'failed', 'board', 'esp-1', 'Analogs');
    const names = readdirSync(failedDir);
    expect(names.some((n) => n.endsWith('.capture'))).toBe(true);
    const reason = readFileSync(
      join(
        failedDir,
        names.find((n) => n.endsWith('.reason.txt'))!,
      ),
      'utf8',
    );
    expect(reason).toContain(`memory target rejects ${bad.fileId}`);
    expect(target.files.has(good.fileId)).toBe(true);
    // not retried: the next pass has nothing to do
    expect(await w.syncNow()).toMatchObject({ uploaded: 0, failed: 0 });
    expect(target.attempts).toBe(3);
    expect(target.files.has(`${bad.fileId}-rejected`)).toBe(true);
  });

  it('moves a locally damaged file to failed/ without uploading it, and uploads its intact front', async () => {
    const target = new MemorySyncTarget();
    const a = writeCaptureFile(dir, meta(), readings(5));
    writeFileSync(a.path, a.bytes.subarray(0, a.bytes.length - 5));
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000, clock: new FakeClock() });
    // 4 intact readings + the recovery_truncated gap, in a new file
    expect(await w.syncNow()).toMatchObject({ failed: 1, uploaded: 1, records: 5 });
    expect(target.attempts).toBe(1);
    expect(target.files.has(a.fileId)).toBe(false);
    expect(await files()).toBe(0);
    expect(
      readdirSync(join(dir, 'failed', 'board', 'esp-1', 'Analogs')).some((n) =>
        n.endsWith('.reason.txt'),
      ),
    ).toBe(true);
  });

  it('uploads nothing while sync_disabled, and resumes when enabled', async () => {
    const target = new MemorySyncTarget();
    writeCaptureFile(dir, meta(), readings(2));
    const w = new SyncWorker({
      captureDir: dir,
      target,
      intervalMs: 6000,
      disabled: true,
      clock: new FakeClock(),
    });
    expect(await w.syncNow()).toMatchObject({ uploaded: 0, remaining: 1 });
    expect(w.status().state).toBe('disabled');
    expect(target.attempts).toBe(0);
    w.configure({ disabled: false });
    expect(await w.syncNow()).toMatchObject({ uploaded: 1 });
  });

  it('runs at most `concurrency` uploads at once, and at least one', async () => {
    for (let i = 0; i < 12; i++)
      writeCaptureFile(dir, meta(), readings(2), Date.UTC(2026, 0, 1, 0, i));
    const target = new MemorySyncTarget();
    target.gate = () => new Promise((r) => setTimeout(r, 5));
    await new SyncWorker({
      captureDir: dir,
      target,
      intervalMs: 6000,
      concurrency: 3,
      clock: new FakeClock(),
    }).syncNow();
    expect(target.maxInFlight).toBe(3);
    expect(target.files.size).toBe(12);
    for (let i = 0; i < 3; i++)
      writeCaptureFile(dir, meta(), readings(2), Date.UTC(2026, 0, 2, 0, i));
    const t2 = new MemorySyncTarget();
    t2.gate = () => new Promise((r) => setTimeout(r, 5));
    await new SyncWorker({
      captureDir: dir,
      target: t2,
      intervalMs: 6000,
      concurrency: 0,
      clock: new FakeClock(),
    }).syncNow();
    expect(t2.maxInFlight).toBe(1);
    expect(t2.files.size).toBe(3);
  });

  it('schedules passes every interval, backs off from ~200 ms with jitter while failing, and polls slowly when offline', async () => {
    const clock = new FakeClock();
    const target = new MemorySyncTarget();
    target.offline = true;
    writeCaptureFile(dir, meta(), readings(2));
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000, clock, random: () => 1 });
    const delays: number[] = [];
    w.start();
    for (let i = 0; i < 8; i++) {
      const before = target.attempts;
      clock.advance(w.status().next_attempt_ms! - clock.now());
      for (
        let k = 0;
        k < 200 && (target.attempts === before || w.status().next_attempt_ms! <= clock.now());
        k++
      )
        await new Promise((r) => setTimeout(r, 2));
      delays.push(w.status().next_attempt_ms! - clock.now());
    }
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 30_000, 30_000, 30_000]);
    expect(w.status().state).toBe('offline');
    target.offline = false;
    clock.advance(30_000);
    for (let k = 0; k < 200 && (await files()) > 0; k++) await new Promise((r) => setTimeout(r, 2));
    expect(await files()).toBe(0);
    for (let k = 0; k < 200 && w.status().next_attempt_ms! - clock.now() !== 6000; k++)
      await new Promise((r) => setTimeout(r, 2));
    expect(w.status().next_attempt_ms! - clock.now()).toBe(6000);
    await w.stop();
    expect(clock.pending()).toBe(0);
  });

  it('jitters each delay within [d/2, d] and caps it', () => {
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0)).toBe(100);
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 1)).toBe(200);
    expect(backoffDelay(5, { ...DEFAULT_BACKOFF, maxMs: 1000 }, () => 1)).toBe(1000);
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 1)).toBe(0);
  });

  it('persists its status for `wharf status` and counts on /metrics', async () => {
    const target = new MemorySyncTarget();
    writeCaptureFile(dir, meta(), readings(3));
    const metrics = new Metrics();
    const w = new SyncWorker({
      captureDir: dir,
      target,
      intervalMs: 6000,
      clock: new FakeClock(),
      metrics,
    });
    await w.syncNow();
    await w.stop();
    const s = await readStatus(dir);
    expect(s).toMatchObject({
      target: 'memory',
      interval_ms: 6000,
      uploaded_files: 1,
      uploaded_records: 3,
      backlog: { files: 0, bytes: 0 },
    });
    expect(s!.last_sync_ms).not.toBeNull();
    expect(await metrics.render()).toContain('wharf_sync_records_total 3');
  });
});
