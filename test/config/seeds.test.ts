/** The seed's four JSON examples load, with the warnings a user needs and the plan they describe. */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.js';
import { ENV, HOST, SEEDS, planOf } from './helpers.js';
import { runCli } from '../helpers/cli.js';

const seed = (name: string) => loadConfigFile(path.join(SEEDS, name), { env: ENV, hostname: HOST });

const cli = (args: string[], env: NodeJS.ProcessEnv = ENV) => runCli(args, env, SEEDS);

describe('seed configs', () => {
  it('data-manager-service.json: sync every minute, "" capture_dir means the default', async () => {
    const r = await seed('data-manager-service.json');
    const plan = planOf(r);
    expect(r.issues).toEqual([]);
    expect(plan.dataManager).toMatchObject({
      sync_interval_mins: 1,
      capture_dir: '/home/tester/.wharf/capture',
      tags: [],
      maximum_capture_file_size_bytes: 262144,
    });
    expect(plan.entries).toEqual([]);
    expect(plan.machine).toBe(HOST);
    expect(plan.part_id).toBe(HOST);
  });

  it('esp32-board-part.json: a local board with two Analogs methods at 10 Hz, unreachable without an address', async () => {
    const r = await seed('esp32-board-part.json');
    const plan = planOf(r);
    expect(plan.boards).toEqual([
      {
        id: 'my-esp32',
        address: '',
        transport: 'unsupported',
        components: [
          {
            name: 'my-esp32',
            type: 'board',
            hardware: {
              analogs: [
                { name: 'A1', pin: '34' },
                { name: 'A2', pin: '35' },
              ],
              pins: ['27'],
            },
          },
        ],
      },
    ]);
    expect(plan.entries.map((e) => [e.key, e.hz, e.readers, e.supported])).toEqual([
      ['my-esp32/board/my-esp32/Analogs/A1', 10, ['A1'], false],
      ['my-esp32/board/my-esp32/Analogs/A2', 10, ['A2'], false],
    ]);
    expect(r.issues.map((i) => [i.severity, i.path])).toEqual([
      ['warning', 'services'],
      ['warning', 'components[0].attributes'],
    ]);
    expect(r.issues[1]?.message).toMatch(/local board "my-esp32" has no "address"/);
  });

  it('main-part-camera-remote.json: ReadImage is a warning naming it, listed as unsupported', async () => {
    const r = await seed('main-part-camera-remote.json');
    const plan = planOf(r);
    expect(plan.boards[0]).toMatchObject({
      id: 'pi-test-main',
      transport: 'mqtt',
      address: 'mqtt://pi-test-main',
      dial_in: 'pi-test-main.vw3iu72d8n.viam.cloud',
      secret: 'REDACTED',
      components: [],
    });
    expect(plan.entries).toEqual([
      {
        key: 'pi-test-main/camera/cam/ReadImage/',
        boardId: 'pi-test-main',
        component_type: 'camera',
        component_name: 'cam',
        resource: 'rdk:component:camera/cam',
        method: 'ReadImage',
        readers: [],
        hz: 1,
        additional_params: { mime_type: 'image/jpeg', reader_name: 'cam1' },
        tags: [],
        supported: false,
      },
    ]);
    const readImage = r.issues.find((i) => i.path.endsWith('.method'));
    expect(readImage?.message).toBe(
      'method "ReadImage" of rdk:component:camera/cam is not captured: wharf captures images from camera components it can open (model webcam or ffmpeg, declared in this config or in the remote\'s components); it is listed but not captured',
    );
    expect(readImage?.line).toBe(28);
    expect(r.issues.find((i) => i.path === 'remotes[0].address')?.message).toMatch(
      /^remote "pi-test-main" \(address pi-test-main.vw3iu72d8n.viam.cloud\) dials in: the board connects to this gateway's MQTT broker and logs in as "pi-test-main"/,
    );
  });

  it('main-part-esp32-remote.jsonc: comments, duplicate keys and both old-style spellings', async () => {
    const r = await seed('main-part-esp32-remote.jsonc');
    const plan = planOf(r);
    const dup = r.issues.filter((i) => i.message.startsWith('duplicate key'));
    expect(dup.map((d) => [d.path, d.line, d.message])).toEqual([
      [
        'services[0].name',
        12,
        'duplicate key "name" (also on line 4); the last one (line 12) wins',
      ],
      [
        'services[0].type',
        13,
        'duplicate key "type" (also on line 5); the last one (line 13) wins',
      ],
    ]);
    expect(plan.dataManager).toMatchObject({
      sync_disabled: true,
      sync_interval_mins: 5,
      tags: ['tag1', 'tag2'],
    });
    expect(
      plan.entries.map((e) => ({
        key: e.key,
        method: e.method,
        readers: e.readers,
        hz: e.hz,
        tags: e.tags,
      })),
    ).toEqual([
      {
        key: 'esp-home/board/my-esp32/Analogs/A1,A2',
        method: 'Analogs',
        readers: ['A1', 'A2'],
        hz: 1,
        tags: ['tag1', 'tag2'],
      },
      {
        key: 'esp-home/board/my-esp32/Gpio/27',
        method: 'Gpio',
        readers: ['27'],
        hz: 1,
        tags: ['tag1', 'tag2'],
      },
    ]);
    // The remote lists no components: the name is taken as a board on it, with a warning per method.
    const assumed = r.issues.filter((i) => i.message.includes('lists no components'));
    expect(assumed.map((a) => a.line)).toEqual([30, 41]);
    // The Viam cloud address: the board dials in over MQTT as the remote's name.
    expect(plan.boards[0]).toMatchObject({
      id: 'esp-home',
      transport: 'mqtt',
      address: 'mqtt://esp-home',
      dial_in: 'esp-home-main.33vvxnbbw9.viam.cloud:80',
      secret: 'REDACTED',
    });
    expect(plan.entries.every((e) => e.supported)).toBe(true);
  });

  it.each([
    'data-manager-service.json',
    'esp32-board-part.json',
    'main-part-camera-remote.json',
    'main-part-esp32-remote.jsonc',
  ])('wharf config check %s exits 0', async (name) => {
    const { code, out, err } = await cli(['config', 'check', name]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`${name.replace('.', '\\.')}: OK`));
  });

  it('wharf config check prints warnings with file:line, path and hint; never the secret', async () => {
    const { out } = await cli(['config', 'check', 'main-part-esp32-remote.jsonc']);
    expect(out).toContain(
      'warning main-part-esp32-remote.jsonc:12  services[0].name: duplicate key "name"',
    );
    expect(out).toContain('        hint: remove one of the two "name" entries');
    expect(out).toContain('OK, 1 board, 2 capture entries (2 captured), 5 warnings');
    expect(out).not.toContain('REDACTED');
  });
});
