/**
 * End to end: the gateway captures from simulated boards into capture files, sync ships them to a
 * real cloud (SQLite and PostgreSQL), and the cloud's query API returns exactly what was captured.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/app/gateway.js';
import { listFinishedFiles } from '../../src/capture/files.js';
import type { StoredRow } from '../../src/cloud/store/contract.js';
import { nullLogger } from '../../src/shared/logger.js';
import { type ViamRow } from '../../src/shared/record.js';
import { HttpSyncTarget } from '../../src/sync/http-target.js';
import { SyncWorker } from '../../src/sync/worker.js';
import { startCloud, type TestCloud } from '../cloud/cloud-helper.js';
import { pgUser } from '../cloud/pg-helper.js';
import { simPlan } from './gateway-plan.js';
import { capturedRows } from '../helpers/captured.js';
import { waitFor } from '../helpers/wait.js';

const user = await pgUser();

/** What the cloud holds, read with a read-only key (the gateway's machine key reads nothing). */
async function cloudRows(cloud: TestCloud): Promise<StoredRow[]> {
  const key = (await cloud.store.createKey(null, 'reader')).key;
  const rows: StoredRow[] = [];
  let cursor = '';
  for (let i = 0; i < 1000; i++) {
    const res = await fetch(
      `${cloud.url}/api/v1/readings?order=asc&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      { headers: { authorization: `Bearer ${key}` } },
    );
    expect(res.status).toBe(200);
    const page = (await res.json()) as { rows: StoredRow[]; next_cursor: string | null };
    rows.push(...page.rows);
    if (page.next_cursor === null) break;
    cursor = page.next_cursor;
  }
  return rows;
}

/** Key order inside JSON objects is not data (PostgreSQL jsonb reorders keys). */
const sorted = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sorted)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : v;
const canon = (r: ViamRow): string =>
  JSON.stringify(
    sorted([
      r.machine,
      r.part_id,
      r.component_type,
      r.component_name,
      r.method_name,
      r.kind,
      r.time_requested,
      r.time_received,
      r.tags,
      r.additional_parameters,
      r.data,
    ]),
  );
const strip = ({ id: _id, ...rest }: StoredRow): ViamRow => rest;

const stores: [string, 'sqlite' | { pgUser: string } | null][] = [
  ['SQLite', 'sqlite'],
  ['PostgreSQL', user === null ? null : { pgUser: user }],
];

for (const [name, kind] of stores) {
  describe.skipIf(kind === null)(`end to end on ${name}`, () => {
    let dir: string;
    let cloud: TestCloud;
    let key: string;
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'wharf-e2e-'));
      cloud = await startCloud(kind!);
      key = (await cloud.store.createKey('demo-gateway')).key;
    });
    afterEach(async () => {
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('sim boards → capture files → sync → cloud: the query returns exactly the captured readings', async () => {
      const gw = await Gateway.start({
        plan: simPlan(dir, { hz: 20 }),
        logger: nullLogger,
        http: null,
      });
      const readings = gw.metrics.counter('wharf_readings_total', '');
      await waitFor(() => readings.total() > 150, 30_000, 'more than 150 readings captured');
      await gw.stop();
      const expected = await capturedRows(dir);
      expect(expected.length).toBeGreaterThan(100);
      const worker = new SyncWorker({
        captureDir: dir,
        target: new HttpSyncTarget({ url: cloud.url, apiKey: key }),
        intervalMs: 6000,
      });
      const r = await worker.syncNow();
      await worker.stop();
      expect(r.error).toBeNull();
      expect(r.remaining).toBe(0);
      expect(await listFinishedFiles(dir)).toHaveLength(0);
      const got = (await cloudRows(cloud)).map(strip);
      expect(got.length).toBe(expected.length);
      expect(got.map(canon).sort()).toEqual(expected.map(canon).sort());
    });

    it('the running gateway syncs live to the cloud and every durable record arrives once', async () => {
      const plan = simPlan(dir, { hz: 20, fileAgeMs: 300 });
      plan.dataManager.sync_interval_mins = 0.005; // 300 ms
      plan.gateway.sync = { kind: 'cloud', url: cloud.url, api_key: key };
      const gw = await Gateway.start({ plan, logger: nullLogger, http: null });
      // Several sync passes (every 300 ms) while capturing: wait for records to arrive live.
      await waitFor(
        async () => (await cloud.store.totals()).records > 0,
        30_000,
        'records synced to the cloud while the gateway runs',
      );
      const midway = (await cloud.store.totals()).records;
      await gw.stop();
      const durable = gw.store.stats().durable;
      expect(midway).toBeGreaterThan(0);
      // files finished at stop are shipped by the next start (here: one more pass)
      const w = new SyncWorker({
        captureDir: dir,
        target: new HttpSyncTarget({ url: cloud.url, apiKey: key }),
        intervalMs: 6000,
      });
      expect((await w.syncNow()).error).toBeNull();
      await w.stop();
      const rows = await cloudRows(cloud);
      expect(rows.length).toBe(durable);
      expect(new Set(rows.map((r) => canon(strip(r)))).size).toBe(rows.length);
    });
  });
}
