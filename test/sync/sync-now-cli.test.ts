/** `wharf sync now` tells the truth about what is left when the cloud refuses the key. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFinishedFiles } from '../../src/capture/files.js';
import { startCloud, type TestCloud } from '../cloud/cloud-helper.js';
import { meta, readings } from '../cloud/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { writeCaptureFile } from './capture-dir.js';

let dir: string;
let cloud: TestCloud;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-syncnow-'));
  cloud = await startCloud('sqlite');
});
afterEach(async () => {
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('wharf sync now', () => {
  it('refused with 403 (a read-only key) says how many files are left, and exits 1', async () => {
    const ro = (await cloud.store.createKey(null)).key;
    writeCaptureFile(dir, meta(), readings(3), Date.UTC(2026, 0, 1));
    writeCaptureFile(dir, meta(), readings(3), Date.UTC(2026, 0, 2));
    const r = await runCli(['sync', 'now', '--dir', dir, '--url', cloud.url, '--key', ro], {}, dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('2 left');
    expect(r.err).toMatch(/403|SYNC_AUTH/);
    expect(await listFinishedFiles(dir)).toHaveLength(2);
  });

  it('after a good pass says 0 left', async () => {
    const key = (await cloud.store.createKey('machine-a')).key;
    writeCaptureFile(dir, meta(), readings(3), Date.UTC(2026, 0, 1));
    const r = await runCli(
      ['sync', 'now', '--dir', dir, '--url', cloud.url, '--key', key],
      {},
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('synced 1 file(s)');
    expect(r.out).toContain('0 left');
  });
});
