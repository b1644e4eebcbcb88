/** `wharf status` as a user runs it: backlog, last sync, last error, and the 10 × interval warning. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySyncTarget } from '../../src/sync/memory-target.js';
import { SyncWorker } from '../../src/sync/worker.js';
import { meta, readings } from '../cloud/fixtures.js';
import { writeCaptureFile } from './capture-dir.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';
import { readStatus } from '../../src/sync/status-file.js';

const run = (args: string[]): Promise<CliResult> => runCli(args, { HOME: tmpdir() }, process.cwd());

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-status-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('wharf status', () => {
  it('shows the backlog and warns when it is older than 10 × the sync interval', async () => {
    const old = Date.now() - 10 * 60_000;
    writeCaptureFile(dir, meta(), readings(10, old), old);
    writeCaptureFile(dir, meta(), readings(10, Date.now() - 1000), Date.now() - 1000);
    writeCaptureFile(dir, meta(), readings(1), Date.now(), '.prog');
    const r = await run(['status', '--dir', dir]);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/backlog +2 file\(s\), [\d.]+ KiB, oldest reading 10\.0 min ago/);
    expect(r.out).toContain('in progress   1 file(s)');
    expect(r.out).toContain('last sync     never');
    expect(r.out).toMatch(
      /WARNING: backlog is 10\.0 min old, more than 10 × the sync interval \(6\.0 s\)/,
    );
  });

  it('shows the last sync and the last error the gateway persisted, without a warning when fresh', async () => {
    writeCaptureFile(dir, meta(), readings(5, Date.now() - 2000), Date.now() - 2000);
    const target = new MemorySyncTarget();
    target.offline = true;
    const w = new SyncWorker({ captureDir: dir, target, intervalMs: 6000 });
    await w.syncNow();
    target.offline = false;
    writeCaptureFile(dir, meta(), readings(5, Date.now() - 1000), Date.now() - 1000);
    await w.syncNow();
    writeCaptureFile(dir, meta(), readings(5, Date.now()), Date.now());
    // the worker persists its status in the background after a pass: wait until it is on disk
    await waitFor(
      async () => (await readStatus(dir))?.uploaded_files === 2,
      10_000,
      'the status of the second pass persisted',
    );
    const r = await run(['status', '--dir', dir]);
    await w.stop();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/sync target +memory +\[(idle|syncing), every 6\.0 s\]/);
    expect(r.out).toMatch(/backlog +1 file\(s\)/);
    expect(r.out).toMatch(/last sync +\d{4}-\d\d-\d\dT.* ago\)/);
    expect(r.out).toMatch(/last error +memory target is offline \[SYNC_UNREACHABLE\]/);
    expect(r.out).toMatch(/uploaded +2 file\(s\), 10 record\(s\)/);
    expect(r.out).not.toContain('WARNING');
  });

  it('says why when the gateway that wrote the status is gone', async () => {
    const old = Date.now() - 5 * 60_000;
    writeCaptureFile(dir, meta(), readings(3, old), old);
    const w = new SyncWorker({
      captureDir: dir,
      target: new MemorySyncTarget(),
      intervalMs: 6000,
      disabled: true,
    });
    await w.syncNow();
    await w.stop();
    const r = await run(['status', '--dir', dir, '--json']);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.out) as { warnings: string[]; backlog: { files: number } };
    expect(j.backlog.files).toBe(1);
    expect(j.warnings[0]).toContain('is not running');
  });
});
