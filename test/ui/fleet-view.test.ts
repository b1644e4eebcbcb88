/**
 * The Fleet view tells the truth (issue 14, item 7), in real Chromium against a real cloud with the
 * fleet API: the rate is the board's last minute (~470 readings a minute shows ~470, not the
 * hour's count / 60), the footer counts machines and boards as what they are, each machine shows
 * its desired vs applied config revision, and Analogs show volts beside the raw count.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCaptureFile } from '../../src/capture/file-format.js';
import { SqliteFleetStore } from '../../src/cloud/fleet/sqlite.js';
import { fleetPlugin } from '../../src/cloud/fleet/routes.js';
import { buildCloudServer } from '../../src/cloud/server.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { cloudUi } from '../../src/cloud/ui/plugin.js';
import type { CaptureMeta, CaptureRecord } from '../../src/shared/record.js';
import { requireTool } from '../helpers/system-tool.js';
import { launch, type Browser } from './browser.js';

const hasChromium = requireTool('chromium', 'the Fleet view test drives a real Chromium');

describe.skipIf(!hasChromium)('Fleet view in Chromium', () => {
  let dir: string;
  let store: SqliteStore;
  let fleet: SqliteFleetStore;
  let app: FastifyInstance;
  let url: string;
  let b: Browser;
  let readKey: string;
  const keys = new Map<string, string>();
  const now = Date.now();

  const meta = (machine: string, component: string): CaptureMeta => ({
    part_id: `${machine}-main`,
    machine,
    component_type: 'board',
    component_name: component,
    method_name: 'Analogs',
    additional_parameters: {},
    tags: [],
  });
  const reading = (t: number): CaptureRecord => ({
    kind: 'reading',
    time_requested: t - 2,
    time_received: t,
    data: { A1: { value: 2048, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 } },
  });
  const upload = async (m: CaptureMeta, records: CaptureRecord[]) => {
    let key = keys.get(m.machine);
    if (key === undefined) {
      key = (await store.createKey(m.machine, m.machine)).key;
      keys.set(m.machine, key);
    }
    const fileId = randomUUID();
    const bytes = encodeCaptureFile(
      { version: 1, file_id: fileId, created_ms: now, meta: m },
      records,
    );
    const res = await fetch(`${url}/api/v1/files`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-type': 'application/octet-stream',
        'x-wharf-file-id': fileId,
        'x-wharf-sha256': createHash('sha256').update(bytes).digest('hex'),
      },
      body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as BodyInit,
    });
    expect(res.status).toBe(201);
  };
  /** Readings every `everyMs` from `fromAgo` ms ago to `toAgo` ms ago. */
  const series = (everyMs: number, fromAgo: number, toAgo: number) => {
    const out: CaptureRecord[] = [];
    for (let t = now - fromAgo; t <= now - toAgo; t += everyMs) out.push(reading(Math.round(t)));
    return out;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-fleet-ui-'));
    store = new SqliteStore(join(dir, 'cloud.db'));
    fleet = new SqliteFleetStore(join(dir, 'cloud.db'));
    app = await buildCloudServer({ store, plugins: [fleetPlugin(fleet), cloudUi()] });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    readKey = (await store.createKey(null, 'ui')).key;
    // line-1: three boards; "fast" makes ~470 readings a minute (every 128 ms) for the last 10 min
    await upload(meta('line-1', 'fast'), series(128, 600_000, 1_000));
    await upload(meta('line-1', 'slow-a'), series(1000, 600_000, 1_000));
    await upload(meta('line-1', 'slow-b'), series(1000, 600_000, 1_000));
    // line-2: one board online, one that stopped 5 minutes ago
    await upload(meta('line-2', 'ok'), series(1000, 300_000, 1_000));
    await upload(meta('line-2', 'gone'), series(1000, 900_000, 300_000));
    // a rate change mark in line-2/ok's stream
    await upload(meta('line-2', 'ok'), [
      {
        kind: 'gap',
        reason: 'rate_change',
        start: now - 500,
        end: now - 500,
        count: 0,
        detail: 'capture_frequency_hz 1 → 2 (cloud config revision 1, line@2)',
      },
    ]);
    // fleet config: line-1 applied what the cloud wants, line-2 refused its config
    const admin = await store.createKey(null, 'admin');
    await fleet.grantAdmin(admin.info.id);
    const api = (path: string, key: string, method: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    await api('/api/v1/fleet/fragments', admin.key, 'POST', {
      id: 'line',
      config: { components: [] },
    });
    await api('/api/v1/fleet/fragments/line', admin.key, 'PUT', { config: { components: [] } });
    for (const m of ['line-1', 'line-2'])
      await api(`/api/v1/fleet/machines/${m}/config`, admin.key, 'PUT', {
        config: { fragments: [{ id: 'line' }] },
      });
    const desired = async (m: string) =>
      (await fetch(`${url}/api/v1/fleet/machines/${m}/config`, {
        headers: { authorization: `Bearer ${keys.get(m)}` },
      }).then((r) => r.json())) as { etag: string };
    await api('/api/v1/fleet/machines/line-1/report', keys.get('line-1')!, 'POST', {
      status: 'applied',
      etag: (await desired('line-1')).etag,
      config_revision: 1,
      fragments: [{ id: 'line', revision: 2 }],
      plan_hash: 'abc',
      applied_ms: now,
    });
    await api('/api/v1/fleet/machines/line-2/report', keys.get('line-2')!, 'POST', {
      status: 'rejected',
      etag: (await desired('line-2')).etag,
      config_revision: 1,
      fragments: [{ id: 'line', revision: 2 }],
      plan_hash: 'abc',
      applied_ms: now,
      error: 'config revision 1 refused by the gateway: 1 error(s)',
    });
    b = await launch();
    await b.page.goto(`${url}/`);
    await b.page.getByLabel('API key').fill(readKey);
    await b.page.locator('#login-submit').click();
    await b.page.locator('#nav').waitFor();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await app?.close();
    await fleet?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rates over the last minute, counts of machines and boards, desired vs applied', async () => {
    const { page } = b;
    await page.goto(`${url}/#/fleet`);
    await page.locator('#fleet-table').waitFor();
    const rows = await page
      .locator('#fleet-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim()),
        ),
      );
    const rate = new Map(
      rows.map((r) => [`${r[0]!.split(' ')[0]}/${r[1]!.split(' ').pop()}`, r[4]!]),
    );
    const fast = Number(rate.get('line-1/fast')!.replace(/,/g, ''));
    expect(fast).toBeGreaterThanOrEqual(465);
    expect(fast).toBeLessThanOrEqual(470);
    expect(rate.get('line-1/slow-a')).toBe('60');
    // the rate change mark in line-2/ok's stream is not a gap
    const ok = rows.find((r) => r[0]!.startsWith('line-2') && r[1]!.endsWith('ok'))!;
    expect(ok[6]).toBe('0');
    expect(await page.locator('#fleet-table thead').textContent()).toContain(
      'Readings / min (last minute)',
    );
    await expect
      .poll(() => page.locator('#fleet-counts').textContent())
      .toMatch(/^2 of 2 machines online · 4 of 5 boards online · updated /);
    await page.locator('#rollout-table').waitFor();
    const rollout = await page
      .locator('#rollout-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim()),
        ),
      );
    expect(rollout.map((r) => [r[0], r[1], r[2], r[4]])).toEqual([
      ['line-1', 'r1 line@2', 'r1 line@2', 'yes'],
      ['line-2', 'r1 line@2', 'r1 line@2 — refused', 'no'],
    ]);
    expect(b.errors).toEqual([]);
  });

  it('shows Analogs in volts beside the raw count, and the rate change mark', async () => {
    const { page } = b;
    await page.goto(`${url}/#/data?machine=line-2&component_name=ok`);
    await page.locator('#rows tbody tr').first().waitFor();
    const cells = await page.locator('#rows tbody tr td.data').allTextContents();
    expect(cells).toContain('A1=2048 (1.650 V)');
    expect(cells).toContain(
      'rate change: capture_frequency_hz 1 → 2 (cloud config revision 1, line@2)',
    );
    expect(b.errors).toEqual([]);
  });
});
