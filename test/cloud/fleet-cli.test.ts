/**
 * `wharf cloud fragments|machines|admin-key` against a real cloud: what a fleet operator types.
 * Secrets in configs are never printed.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startFleetCloud, type FleetCloud } from './fleet-helper.js';

const fragment = (hz: number) => ({
  remotes: [
    {
      name: 'press',
      address: 'esp-press-main.abc.viam.cloud:80',
      secret: 's3cr3t-press',
      components: [
        { name: 'b', type: 'board', attributes: { analogs: [{ name: 'A1', pin: '34' }] } },
      ],
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
    },
  ],
});

describe('wharf cloud fragments / machines', () => {
  let c: FleetCloud;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    c = await startFleetCloud('sqlite');
    dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-fleet-cli-'));
    env = { HOME: dir, WHARF_CLOUD_URL: c.main.url, WHARF_API_KEY: c.adminKey };
    await writeFile(path.join(dir, 'f1.json'), JSON.stringify(fragment(1)));
    await writeFile(path.join(dir, 'f2.jsonc'), `// faster\n${JSON.stringify(fragment(5))}`);
    await writeFile(
      path.join(dir, 'm.json'),
      JSON.stringify({
        fragments: [{ id: 'press', version: 'stable' }],
        fragment_mods: [
          {
            fragment_id: 'press',
            mods: [
              {
                $set: {
                  'remotes.press.service_configs.0.attributes.capture_methods.0.capture_frequency_hz': 2,
                },
              },
            ],
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    await c.close();
    await rm(dir, { recursive: true, force: true });
  });
  const cli = (...args: string[]) => runCli(['cloud', ...args], env, dir);

  it('create, update, tag, show, history; set-config, show, list', async () => {
    expect(await cli('fragments', 'create', 'press', '--file', 'f1.json')).toMatchObject({
      code: 0,
      out: 'fragment press created at revision 1\n',
    });
    expect((await cli('fragments', 'update', 'press', '--file', 'f2.jsonc')).out).toBe(
      'fragment press saved as revision 2\n',
    );
    expect((await cli('fragments', 'tag', 'press', 'stable', '1')).out).toBe(
      'fragment press: tag stable → revision 1\n',
    );
    const show = await cli('fragments', 'show', 'press', '--version', 'stable');
    expect(JSON.parse(show.out)).toMatchObject({
      revision: 1,
      config: { remotes: [{ secret: '***' }] },
    });
    expect(show.out).not.toContain('s3cr3t');
    const hist = await cli('fragments', 'history', 'press');
    expect(hist.out).toMatch(
      /^fragment press \(press\), latest revision 2\n {2}r2 .*\n {2}r1 .*tags: stable\n$/,
    );
    expect((await cli('machines', 'set-config', 'line-3', '--file', 'm.json')).out).toBe(
      'machine line-3: config revision 1 saved\n',
    );
    const m = await cli('machines', 'show', 'line-3');
    expect(JSON.parse(m.out)).toMatchObject({
      machine: 'line-3',
      revision: 1,
      desired: { config_revision: 1, fragments: [{ id: 'press', version: 'stable', revision: 1 }] },
      applied: null,
    });
    const list = await runCli(['cloud', 'machines'], { ...env, WHARF_API_KEY: c.readKey }, dir);
    expect(list.code).toBe(0);
    expect(list.out.split('\n')[2]).toMatch(
      /^line-3\s+r1 press@1\s+\(never reported\)\s+-\s+-\s+NO/,
    );
    expect((await cli('fragments', 'list')).out).toMatch(/^press {2}r2 {2}stable=r1 {2}press\n$/);
  });

  it('says what is wrong: a read-only key cannot write, an unknown tag is refused', async () => {
    const ro = await runCli(
      ['cloud', 'fragments', 'update', 'press', '--file', 'f1.json'],
      { ...env, WHARF_API_KEY: c.readKey },
      dir,
    );
    expect(ro.code).not.toBe(0);
    expect(ro.err).toMatch(/403.*fleet admin key/);
    await writeFile(
      path.join(dir, 'bad.json'),
      JSON.stringify({ fragments: [{ id: 'press', version: 'beta' }] }),
    );
    const bad = await cli('machines', 'set-config', 'line-4', '--file', 'bad.json');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/fragment "press" has no tag "beta" \(tags: stable\)/);
  });

  it('admin-key create makes a key that may write fleet config', async () => {
    const dbDir = await mkdtemp(path.join(os.tmpdir(), 'wharf-fleet-adm-'));
    const r = await runCli(
      ['cloud', 'admin-key', 'create', '--db', path.join(dbDir, 'cloud.db')],
      { HOME: dbDir },
      dbDir,
    );
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^wharf_[0-9a-f]{12}_\S+\n$/);
    expect(r.err).toMatch(/fleet admin key [0-9a-f]{12} created/);
    const { SqliteFleetStore } = await import('../../src/cloud/fleet/sqlite.js');
    const f = new SqliteFleetStore(path.join(dbDir, 'cloud.db'));
    expect(await f.isAdmin(r.err.match(/key ([0-9a-f]{12})/)![1]!)).toBe(true);
    await f.close();
    await rm(dbDir, { recursive: true, force: true });
  });
});
