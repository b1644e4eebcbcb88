/**
 * A gateway follows its config from the cloud (issue 14, item 2), as real processes: the cloud on
 * 127.0.0.1 (SQLite), the gateway a child `wharf run --cloud URL --machine gw1`.
 *  - it boots on the cloud's config and reports what it applied;
 *  - a fragment change (new revision, tag moved) reaches it and is applied within 2 s; only the
 *    changed collector restarts;
 *  - a config it cannot accept is refused there, reported with its issues, the running plan stays;
 *  - with the cloud down it boots from the cached last good config and captures (started the
 *    second time through a local file that only points at the cloud);
 *  - its data syncs to the cloud as machine gw1 (the default when the config names no target).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MachineReport } from '../../src/cloud/fleet/contract.js';
import { call, startFleetCloud, type FleetCloud } from '../cloud/fleet-helper.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const remote = (name: string, hz: number) => ({
  name,
  address: `sim://${name}?wave=sine&period=10000`,
  components: [
    { name: `${name}-board`, type: 'board', attributes: { analogs: [{ name: 'A1', pin: '34' }] } },
  ],
  service_configs: [
    {
      type: 'data_manager',
      attributes: {
        capture_methods: [
          {
            name: `rdk:component:board/${name}-board`,
            method: 'Analogs',
            capture_frequency_hz: hz,
            additional_params: { reader_name: 'A1' },
          },
        ],
      },
    },
  ],
});

interface Gw {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function startGateway(key: string, home: string, args: string[]): Gw {
  const proc = spawn(process.execPath, [path.join(ROOT, 'bin/wharf.mjs'), 'run', ...args], {
    cwd: ROOT,
    env: { ...process.env, WHARF_HOME: home, WHARF_API_KEY: key, WHARF_LOG_LEVEL: 'info' },
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  return { proc, out: () => out, err: () => err, exited };
}

async function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('a gateway following the cloud', () => {
  let c: FleetCloud;
  let home: string;
  let key: string;
  const gws: Gw[] = [];
  beforeAll(async () => {
    c = await startFleetCloud('sqlite');
    home = await mkdtemp(path.join(os.tmpdir(), 'wharf-follow-'));
    key = await c.machineKey('gw1');
  });
  afterAll(async () => {
    for (const g of gws) if (g.proc.exitCode === null) g.proc.kill('SIGKILL');
    await c.close();
    await rm(home, { recursive: true, force: true });
  });

  const report = async (): Promise<MachineReport | undefined> =>
    (await c.fleet.reports(10)).find((r) => r.machine === 'gw1');

  it('boots on the cloud config, applies a fragment change within 2 s, refuses a bad one, boots from the cache offline', async () => {
    const a = c.adminKey;
    const url = c.main.url;
    const put = async (u: string, body: unknown, method = 'PUT') => {
      const r = await call(`${url}${u}`, a, method, body);
      expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
      return r.json;
    };
    await put(
      '/api/v1/fleet/fragments',
      { id: 'line', config: { remotes: [remote('press', 2), remote('oven', 2)] } },
      'POST',
    );
    await put('/api/v1/fleet/fragments/line/tags/stable', { revision: 1 });
    await put('/api/v1/fleet/machines/gw1/config', {
      config: {
        services: [
          {
            name: 'data_manager',
            type: 'data_manager',
            attributes: {
              sync_interval_mins: 0.02,
              maximum_capture_file_age_ms: 500,
              flush_interval_ms: 200,
            },
          },
        ],
        wharf: { http: null },
        fragments: [{ id: 'line', version: 'stable' }],
      },
    });

    const gw = startGateway(key, home, ['--cloud', url, '--machine', 'gw1']);
    gws.push(gw);
    const first = await until('the first report', async () => {
      const r = await report();
      return r?.status === 'applied' ? r : undefined;
    });
    expect(first.fragments).toEqual([{ id: 'line', revision: 1 }]);
    expect(first.config_revision).toBe(1);
    expect(gw.out()).toContain('config revision 1, line@1');

    // a rate change in the fragment: new revision, the tag moves
    await put('/api/v1/fleet/fragments/line', {
      config: { remotes: [remote('press', 5), remote('oven', 2)] },
    });
    const movedAt = Date.now();
    await put('/api/v1/fleet/fragments/line/tags/stable', { revision: 2 });
    const second = await until('the rate change applied', async () => {
      const r = await report();
      return r?.status === 'applied' && r.fragments[0]?.revision === 2 ? r : undefined;
    });
    expect(second.applied_ms - movedAt).toBeLessThan(2000);
    expect(second.plan_hash).not.toBe(first.plan_hash);
    // only the press collector restarted
    const applied = gw
      .err()
      .split('\n')
      .filter((l) => l.includes('cloud config applied'));
    expect(applied.at(-1)).toMatch(/"changed":1/);
    expect(applied.at(-1)).toMatch(/"added":0/);

    // a config the gateway cannot run (negative rate): refused there, reported, the plan stays
    await put('/api/v1/fleet/fragments/line', {
      config: { remotes: [remote('press', -1), remote('oven', 2)] },
    });
    await put('/api/v1/fleet/fragments/line/tags/stable', { revision: 3 });
    const third = await until('the refusal', async () => {
      const r = await report();
      return r?.status === 'rejected' ? r : undefined;
    });
    expect(third.fragments).toEqual([{ id: 'line', revision: 3 }]);
    expect(third.plan_hash).toBe(second.plan_hash);
    expect(third.issues).toEqual([
      expect.objectContaining({
        severity: 'error',
        path: 'remotes[0].service_configs[0].attributes.capture_methods[0].capture_frequency_hz',
      }),
    ]);
    const listed = (await call(`${url}/api/v1/fleet/machines`, c.readKey)).json.machines[0];
    expect(listed).toMatchObject({
      machine: 'gw1',
      in_sync: false,
      applied: { status: 'rejected' },
    });

    // data reached the cloud as machine gw1 (sync defaults to the cloud the config came from)
    await until('synced readings', async () =>
      (await c.store.count({ machine: ['gw1'] })) > 0 ? true : undefined,
    );

    // the rate change is marked in press's stream, at the change, before the first 5 Hz reading
    const mark = await until('the rate_change mark in the cloud', async () => {
      const page = await c.store.query(
        { machine: ['gw1'], component_name: ['press-board'], kind: 'gap' },
        { limit: 50, order: 'asc' },
      );
      return page.rows.find((r) => (r.data as { reason?: string }).reason === 'rate_change');
    });
    expect(mark.data).toMatchObject({
      reason: 'rate_change',
      count: 0,
      detail: 'capture_frequency_hz 2 → 5 (cloud config revision 1, line@2)',
    });
    expect(mark.time_requested).toBeGreaterThanOrEqual(movedAt);
    expect(mark.time_requested).toBeLessThanOrEqual(second.applied_ms);
    const oven = await c.store.query(
      { machine: ['gw1'], component_name: ['oven-board'], kind: 'gap' },
      { limit: 50, order: 'asc' },
    );
    expect(
      oven.rows.filter((r) => (r.data as { reason?: string }).reason === 'rate_change'),
    ).toEqual([]);

    // cloud down, gateway restarted: boots from the cached last good config (revision 2) and captures
    const port = c.main.port;
    await c.main.stop();
    gw.proc.kill('SIGTERM');
    expect(await gw.exited).toBe(0);
    const restartAt = Date.now();
    // this time through a local file that only points at the cloud
    const pointer = path.join(home, 'gateway.json');
    await writeFile(pointer, JSON.stringify({ wharf: { cloud: { url, machine: 'gw1' } } }));
    const gw2 = startGateway(key, home, ['--config', pointer]);
    gws.push(gw2);
    await until('the offline boot', () =>
      gw2.out().includes('from the cache') ? true : undefined,
    );
    expect(gw2.out()).toContain('config revision 1, line@2');
    // cloud back (same port): the gateway gets the current desired config (revision 3) and refuses it again
    const back = await c.replica(port);
    await until('a report after the cloud came back', async () => {
      const r = await report();
      return r !== undefined && r.reported_ms > restartAt && r.status === 'rejected'
        ? r
        : undefined;
    });
    // what it captured while booted from the cache syncs in: revision 2's 5 Hz, not the refused config
    const press = await until(
      'readings captured after the offline boot',
      async () => {
        const page = await c.store.query(
          { machine: ['gw1'], component_name: ['press-board'], kind: 'reading', from: restartAt },
          { limit: 50, order: 'asc' },
        );
        return page.rows.length >= 10 ? page.rows : undefined;
      },
      30_000,
    );
    const steps = press.slice(1).map((r, i) => r.time_requested - press[i]!.time_requested);
    steps.sort((x, y) => x - y);
    expect(steps[Math.floor(steps.length / 2)]).toBe(200);
    gw2.proc.kill('SIGTERM');
    expect(await gw2.exited).toBe(0);
    await back.stop();
  }, 120_000);
});
