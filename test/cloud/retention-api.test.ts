/**
 * Retention through the cloud API and the CLI (issue 14 item 6): only a fleet admin key sets a
 * machine's `retention_policy`; enforcement removes the machine's old data and says so — in the
 * API's account, in the CLI, in /metrics — and the removal is not shown as a gap.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/cloud/retention/contract.js';
import { runCli } from '../helpers/cli.js';
import { call, startFleetCloud, type FleetCloud } from './fleet-helper.js';
import { meta, readings } from './fixtures.js';
import { ingestFile } from './store-contract.js';

describe('retention API and CLI (SQLite cloud)', () => {
  let c: FleetCloud;
  let dir: string;
  beforeAll(async () => {
    c = await startFleetCloud('sqlite');
    dir = await mkdtemp(join(tmpdir(), 'wharf-retention-cli-'));
  });
  afterAll(async () => {
    await c?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets only a fleet admin key set a policy, and checks the body', async () => {
    const url = `${c.main.url}/api/v1/retention/m1`;
    const body = { retention_policy: { days: 7 } };
    expect((await call(url, null, 'PUT', body)).status).toBe(401);
    expect((await call(url, await c.machineKey('m1'), 'PUT', body)).status).toBe(403);
    expect((await call(url, c.readKey, 'PUT', body)).status).toBe(403);
    for (const bad of [
      {},
      { retention_policy: { days: 0 } },
      { retention_policy: { days: 1.5 } },
      { retention_policy: 'x' },
    ])
      expect((await call(url, c.adminKey, 'PUT', bad)).status).toBe(400);
    expect(
      (await call(`${c.main.url}/api/v1/retention/enforce`, c.readKey, 'POST', {})).status,
    ).toBe(403);
    expect(await c.store.retention.policies()).toEqual([]);
    const ok = await call(url, c.adminKey, 'PUT', body);
    expect(ok).toMatchObject({
      status: 200,
      json: { machine: 'm1', retention_policy: { days: 7 } },
    });
  });

  it('CLI sets a policy; enforcement removes old data and accounts for it everywhere', async () => {
    const env = { WHARF_CLOUD_URL: c.main.url, WHARF_API_KEY: c.adminKey };
    const now = Date.now();
    await c.store.ingest(ingestFile(meta({ machine: 'm2' }), readings(30, now - 10 * DAY_MS)));
    await c.store.ingest(ingestFile(meta({ machine: 'm2' }), readings(5, now - 60_000)));
    await c.store.ingest(ingestFile(meta({ machine: 'm3' }), readings(30, now - 10 * DAY_MS)));
    const set = await runCli(['cloud', 'machines', 'set-retention', 'm2', '--days', '3'], env, dir);
    expect(set).toMatchObject({
      code: 0,
      out: 'machine m2: retention_policy 3 days (older data is removed within the hour)\n',
    });
    expect((await runCli(['cloud', 'machines', 'set-retention', 'm2'], env, dir)).code).not.toBe(0);

    const run = await call(`${c.main.url}/api/v1/retention/enforce`, c.adminKey, 'POST', {});
    expect(run.status).toBe(200);
    expect(run.json.events).toMatchObject([
      { machine: 'm2', days: 3, how: 'delete_rows', readings: 30, gaps: 0 },
    ]);
    expect(await c.store.count({ machine: ['m2'] })).toBe(5);
    expect(await c.store.count({ machine: ['m3'] })).toBe(30);
    // not a gap: gaps are holes the gateway saw
    expect(await c.store.count({ kind: 'gap' })).toBe(0);

    const view = await call(`${c.main.url}/api/v1/retention`, c.readKey);
    expect(view.status).toBe(200);
    expect(view.json.policies.map((p: { machine: string }) => p.machine)).toEqual(['m1', 'm2']);
    expect(view.json.events[0]).toMatchObject({ machine: 'm2', readings: 30 });

    const text = await runCli(
      ['cloud', 'machines', 'retention'],
      { ...env, WHARF_API_KEY: c.readKey },
      dir,
    );
    expect(text.code).toBe(0);
    expect(text.out).toContain('  m2  3 days');
    expect(text.out).toMatch(
      /m2: 30 readings, 0 gap records, 0 images older than \S+ \(retention_policy 3 days; deleted rows\)/,
    );

    const metrics = await (await fetch(`${c.main.url}/metrics`)).text();
    expect(metrics).toMatch(
      /wharf_cloud_retention_removed_total\{how="delete_rows",what="readings"\} 30/,
    );
    expect(metrics).not.toContain('m2'); // /metrics is public: no machine names

    const off = await runCli(['cloud', 'machines', 'set-retention', 'm2', '--off'], env, dir);
    expect(off.out).toBe('machine m2: no retention policy, its data is kept for ever\n');
  });
});
