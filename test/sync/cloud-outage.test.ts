/**
 * The cloud goes down while the gateway captures: files pile up (nothing deleted, the status says
 * why), then the cloud comes back and the backlog drains: every durable record arrives once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Gateway } from '../../src/app/gateway.js';
import { listFinishedFiles } from '../../src/capture/files.js';
import { nullLogger } from '../../src/shared/logger.js';
import { HttpSyncTarget } from '../../src/sync/http-target.js';
import { readStatus } from '../../src/sync/status-file.js';
import { SyncWorker } from '../../src/sync/worker.js';
import { startCloud } from '../cloud/cloud-helper.js';
import { simPlan } from './gateway-plan.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await cond()) return true;
    await sleep(25);
  }
  return cond();
}

describe('cloud outage', () => {
  it('keeps the backlog while the cloud is down and drains it when it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-outage-'));
    const cloud = await startCloud('sqlite');
    try {
      const { key } = await cloud.store.createKey('demo-gateway');
      const gw = await Gateway.start({
        plan: simPlan(dir, { hz: 20, fileAgeMs: 200 }),
        logger: nullLogger,
        http: null,
      });
      const worker = new SyncWorker({
        captureDir: dir,
        target: new HttpSyncTarget({ url: cloud.url, apiKey: key, timeoutMs: 2000 }),
        intervalMs: 200,
        backoff: { initialMs: 50, maxMs: 400, offlineAfter: 3, offlinePollMs: 500 },
      });
      worker.start();
      expect(await until(async () => (await cloud.store.totals()).records > 0, 5000)).toBe(true);

      await cloud.stopServer();
      expect(await until(() => worker.status().last_error?.code === 'SYNC_UNREACHABLE', 5000)).toBe(
        true,
      );
      expect(await until(async () => (await listFinishedFiles(dir)).length >= 8, 8000)).toBe(true);
      expect(await until(() => worker.status().state === 'offline', 5000)).toBe(true);
      const persisted = await readStatus(dir);
      expect(persisted?.last_error?.code).toBe('SYNC_UNREACHABLE');
      const during = (await cloud.store.totals()).records;

      await cloud.startServer();
      await gw.stop();
      const durable = gw.store.stats().durable;
      expect(await until(async () => (await listFinishedFiles(dir)).length === 0, 10_000)).toBe(
        true,
      );
      await worker.stop();
      expect(worker.status()).toMatchObject({ state: 'stopped', consecutive_failures: 0 });
      expect(worker.status().last_sync_ms!).toBeGreaterThan(worker.status().last_error!.at_ms);
      const after = await cloud.store.totals();
      expect(after.records).toBeGreaterThan(during);
      expect(after.records).toBe(durable);
    } finally {
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
