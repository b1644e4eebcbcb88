/**
 * The fleet API on a real server, on SQLite and on PostgreSQL: deny by default, who may do what,
 * revisions and tags through HTTP, and the long-poll that brings a change to a gateway within 2 s
 * (also when the change is made on another replica of the same PostgreSQL database).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startFleetCloud, type FleetCloud } from './fleet-helper.js';
import { pgUser } from './pg-helper.js';

const remote = (hz: number) => ({
  name: 'press',
  address: 'sim://press',
  components: [{ name: 'b', type: 'board', attributes: { analogs: [{ name: 'A1', pin: '34' }] } }],
  service_configs: [
    {
      type: 'data_manager',
      attributes: {
        capture_methods: [
          {
            name: 'rdk:component:board/b',
            method: 'Analogs',
            capture_frequency_hz: hz,
            additional_params: { reader_name: 'A1' },
          },
        ],
      },
    },
  ],
});

const user = await pgUser();
const kinds: Array<['SQLite', 'sqlite'] | ['PostgreSQL', { pgUser: string }]> = [
  ['SQLite', 'sqlite'],
];
if (user !== null) kinds.push(['PostgreSQL', { pgUser: user }]);

describe.each(kinds)('fleet API on %s', (_name, kind) => {
  let c: FleetCloud;
  let url: string;
  beforeAll(async () => {
    c = await startFleetCloud(kind);
    url = c.main.url;
  });
  afterAll(async () => {
    await c.close();
  });

  it('guards every fleet route with a key (none is public)', async () => {
    const fleet = c.main.app.wharfRoutes.filter((r) => r.url.startsWith('/api/v1/fleet'));
    expect(fleet.length).toBeGreaterThanOrEqual(10);
    // the two a gateway calls with its machine key (each checks the machine); the rest: no machine key
    expect(
      fleet
        .filter((r) => r.access !== 'key')
        .map((r) => `${r.method} ${r.url} ${r.access}`)
        .sort(),
    ).toEqual([
      'GET /api/v1/fleet/machines/:machine/config machine',
      'HEAD /api/v1/fleet/machines/:machine/config machine',
      'POST /api/v1/fleet/machines/:machine/report machine',
    ]);
    for (const r of fleet.filter((x) => x.method !== 'HEAD')) {
      const path = r.url.replace(/:(\w+)/g, 'x1');
      const res = await call(`${url}${path}`, null, r.method, r.method === 'GET' ? undefined : {});
      expect([r.method, path, res.status]).toEqual([r.method, path, 401]);
    }
  });

  it('only a fleet admin key writes fragments and machine configs; a machine key reads only its own config', async () => {
    const m1 = await c.machineKey('m1');
    const frag = { id: 'perm', config: { remotes: [remote(1)] } };
    expect((await call(`${url}/api/v1/fleet/fragments`, c.readKey, 'POST', frag)).status).toBe(403);
    expect((await call(`${url}/api/v1/fleet/fragments`, m1, 'POST', frag)).status).toBe(403);
    expect((await call(`${url}/api/v1/fleet/fragments`, c.adminKey, 'POST', frag)).status).toBe(
      201,
    );
    const set = (key: string, m: string) =>
      call(`${url}/api/v1/fleet/machines/${m}/config`, key, 'PUT', {
        config: { fragments: [{ id: 'perm' }] },
      });
    expect((await set(m1, 'm1')).status).toBe(403);
    expect((await set(c.adminKey, 'm1')).status).toBe(200);
    expect((await set(c.adminKey, 'm2')).status).toBe(200);
    expect((await call(`${url}/api/v1/fleet/machines/m1/config`, m1)).status).toBe(200);
    const other = await call(`${url}/api/v1/fleet/machines/m2/config`, m1);
    expect(other.status).toBe(403);
    expect(other.json.error.message).toMatch(/belongs to machine 'm1'/);
    expect((await call(`${url}/api/v1/fleet/machines/m1/config`, c.readKey)).status).toBe(403);
    expect((await call(`${url}/api/v1/fleet/fragments/perm`, m1)).status).toBe(403);
    // reports: only the machine's own key
    const rep = {
      status: 'applied',
      etag: 'e',
      config_revision: 1,
      fragments: [],
      plan_hash: 'h',
      applied_ms: 1,
    };
    expect((await call(`${url}/api/v1/fleet/machines/m2/report`, m1, 'POST', rep)).status).toBe(
      403,
    );
    expect(
      (await call(`${url}/api/v1/fleet/machines/m1/report`, c.adminKey, 'POST', rep)).status,
    ).toBe(403);
    expect((await call(`${url}/api/v1/fleet/machines/m1/report`, m1, 'POST', rep)).status).toBe(
      200,
    );
    // the list (desired vs applied, no configs) is for any key
    const list = await call(`${url}/api/v1/fleet/machines`, c.readKey);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.json)).not.toContain('sim://');
  });

  it('configs (they hold board secrets) are not readable through the read-only SQL route', async () => {
    for (const table of ['fleet_machine_configs', 'fleet_fragment_revisions', 'fleet_admins']) {
      const r = await call(`${url}/api/v1/sql`, c.readKey, 'POST', {
        sql: `SELECT * FROM ${table}`,
      });
      expect([table, r.status]).toEqual([table, 400]);
      expect(r.json.error.code).toBe('CLOUD_SQL_REFUSED');
    }
  });

  it('revisions and tags: a machine on a tag gets that revision; moving the tag moves it', async () => {
    const a = c.adminKey;
    expect(
      (
        await call(`${url}/api/v1/fleet/fragments`, a, 'POST', {
          id: 'line',
          config: { remotes: [remote(1)] },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(`${url}/api/v1/fleet/fragments/line`, a, 'PUT', {
          config: { remotes: [remote(5)] },
        })
      ).json.revision,
    ).toBe(2);
    expect(
      (await call(`${url}/api/v1/fleet/fragments/line/tags/stable`, a, 'PUT', { revision: 1 }))
        .status,
    ).toBe(200);
    expect(
      (await call(`${url}/api/v1/fleet/fragments/line/tags/9bad`, a, 'PUT', { revision: 1 }))
        .status,
    ).toBe(400);
    expect(
      (await call(`${url}/api/v1/fleet/fragments/line/tags/x`, a, 'PUT', { revision: 7 })).status,
    ).toBe(404);
    const bad = await call(`${url}/api/v1/fleet/machines/t1/config`, a, 'PUT', {
      config: { fragments: [{ id: 'line', version: 'nope' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/has no tag "nope"/);
    await call(`${url}/api/v1/fleet/machines/t1/config`, a, 'PUT', {
      config: { fragments: [{ id: 'line', version: 'stable' }] },
    });
    const k = await c.machineKey('t1');
    const d1 = (await call(`${url}/api/v1/fleet/machines/t1/config`, k)).json;
    expect(d1.fragments).toEqual([{ id: 'line', version: 'stable', revision: 1 }]);
    expect(
      d1.config.remotes[0].service_configs[0].attributes.capture_methods[0].capture_frequency_hz,
    ).toBe(1);
    await call(`${url}/api/v1/fleet/fragments/line/tags/stable`, a, 'PUT', { revision: 2 });
    const d2 = (await call(`${url}/api/v1/fleet/machines/t1/config`, k)).json;
    expect(d2.fragments[0].revision).toBe(2);
    expect(d2.etag).not.toBe(d1.etag);
    const hist = (await call(`${url}/api/v1/fleet/fragments/line/history`, a)).json;
    expect(
      hist.revisions.map((r: { revision: number; tags: string[] }) => [r.revision, r.tags]),
    ).toEqual([
      [2, ['stable']],
      [1, []],
    ]);
  });

  it('long-poll: unchanged answers 204 after the wait; a change reaches the waiter within 2 s', async () => {
    const a = c.adminKey;
    await call(`${url}/api/v1/fleet/fragments`, a, 'POST', {
      id: 'lp',
      config: { remotes: [remote(1)] },
    });
    await call(`${url}/api/v1/fleet/machines/lp1/config`, a, 'PUT', {
      config: { fragments: [{ id: 'lp' }] },
    });
    const k = await c.machineKey('lp1');
    const first = (await call(`${url}/api/v1/fleet/machines/lp1/config`, k)).json;
    const t0 = Date.now();
    const same = await call(
      `${url}/api/v1/fleet/machines/lp1/config?etag=${first.etag}&wait_ms=600`,
      k,
    );
    expect(same.status).toBe(204);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    const waiting = call(
      `${url}/api/v1/fleet/machines/lp1/config?etag=${first.etag}&wait_ms=20000`,
      k,
    );
    // deliberate: give the long poll time to park; if it has not yet (a loaded machine), it sees
    // the new etag at once, and the rollout bound below holds all the same
    await new Promise((r) => setTimeout(r, 300));
    const changedAt = Date.now();
    await call(`${url}/api/v1/fleet/fragments/lp`, a, 'PUT', { config: { remotes: [remote(3)] } });
    const got = await waiting;
    const latency = Date.now() - changedAt;
    expect(got.status).toBe(200);
    expect(got.json.fragments[0].revision).toBe(2);
    expect(latency).toBeLessThan(2000);
  });

  // replicas share one store only on PostgreSQL: the case exists there, not on SQLite
  if (kind !== 'sqlite')
    it('a change saved on one replica reaches a waiter on another within 2 s', async () => {
      const b = await c.replica();
      const a = c.adminKey;
      await call(`${b.url}/api/v1/fleet/fragments`, a, 'POST', {
        id: 'rep',
        config: { remotes: [remote(1)] },
      });
      await call(`${b.url}/api/v1/fleet/machines/r1/config`, a, 'PUT', {
        config: { fragments: [{ id: 'rep' }] },
      });
      const k = await c.machineKey('r1');
      const first = (await call(`${url}/api/v1/fleet/machines/r1/config`, k)).json;
      const waiting = call(
        `${url}/api/v1/fleet/machines/r1/config?etag=${first.etag}&wait_ms=20000`,
        k,
      );
      await new Promise((r) => setTimeout(r, 300)); // deliberate: as above, let the poll park
      const changedAt = Date.now();
      await call(`${b.url}/api/v1/fleet/fragments/rep`, a, 'PUT', {
        config: { remotes: [remote(7)] },
      });
      const got = await waiting;
      expect(got.status).toBe(200);
      expect(got.json.fragments[0].revision).toBe(2);
      expect(Date.now() - changedAt).toBeLessThan(2000);
      await b.stop();
    });
});
