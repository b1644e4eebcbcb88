/**
 * Two gateways on one capture dir (issue 11, item 7): the second is refused with a clear message;
 * a SIGKILLed holder does not lock the directory for good. Real child processes.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureDirLock, LOCK_FILE } from '../../src/capture/dir-lock.js';
import { nullLogger } from '../../src/shared/logger.js';
import { startGateway, writeCrashConfig } from '../crash/crash-harness.js';

describe('one gateway per capture dir', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-lock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second gateway with a clear message; after SIGKILL of the first a new one starts', async () => {
    const config = await writeCrashConfig({ dir, hz: 10, flushMs: 200, batchMs: 50 });
    const captureDir = path.join(dir, 'capture');
    const first = startGateway(config);
    await first.ready;
    expect(existsSync(path.join(captureDir, LOCK_FILE))).toBe(true);

    const second = startGateway(config);
    const ex = await second.exited;
    expect(ex.code).not.toBe(0);
    expect(second.output()).toContain(
      `capture dir ${captureDir} is in use by another wharf gateway (pid ${first.proc.pid}`,
    );
    expect(second.output()).not.toMatch(/recovered|wharf: capturing/);
    expect(first.proc.exitCode).toBeNull(); // the first runs on, untouched

    first.proc.kill('SIGKILL');
    await first.exited;
    const third = startGateway(config, ['--duration', '1']);
    await third.ready;
    const ex3 = await third.exited;
    expect(ex3.code, third.output()).toBe(0);
    expect(existsSync(path.join(captureDir, LOCK_FILE))).toBe(false); // released at a clean stop
  }, 60_000);

  it('in one process: a second lock is refused until the first is released', async () => {
    const d = path.join(dir, 'inproc');
    const a = await CaptureDirLock.acquire(d, nullLogger);
    await expect(CaptureDirLock.acquire(d, nullLogger)).rejects.toMatchObject({
      code: 'CAPTURE_LOCKED',
    });
    await a.release();
    const b = await CaptureDirLock.acquire(d, nullLogger);
    await b.release();
  });
});
