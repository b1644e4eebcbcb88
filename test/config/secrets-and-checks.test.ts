/**
 * Config findings of issue 11, as a user meets them through `wharf config check|explain`:
 * secrets are never echoed, unknown methods and impossible rates are errors, services keep their
 * kind in names, disabled methods are listed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { errors, load, withRemote } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-config-i11-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ENV = { HOME: '/home/tester' } as NodeJS.ProcessEnv;

async function check(cfg: unknown, sub: 'check' | 'explain' = 'check', extra: string[] = []) {
  const file = path.join(tmp, `c${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(file, typeof cfg === 'string' ? cfg : JSON.stringify(cfg, null, 2));
  const r = await runCli(['config', sub, ...extra, file], ENV, tmp);
  return { ...r, all: r.out + r.err };
}

const A1 = {
  name: 'rdk:component:board/my-esp32',
  method: 'Analogs',
  capture_frequency_hz: 1,
  additional_params: { reader_name: 'A1' },
};

describe('secrets are never printed', () => {
  const SECRET = 987654321987;
  it.each([
    ['remotes[0].secret', withRemote([A1], { secret: SECRET })],
    [
      'wharf.sync.api_key',
      { ...withRemote([A1]), wharf: { sync: { url: 'http://c:1', api_key: SECRET } } },
    ],
    [
      'wharf.broker.password',
      { ...withRemote([A1]), wharf: { broker: { url: 'mqtt://b:1883', password: SECRET } } },
    ],
    [
      'wharf.broker.username', // not a secret key: the number may be printed, but not hidden by mistake
      { ...withRemote([A1]), wharf: { broker: { url: 'mqtt://b:1883', username: 5 } } },
    ],
  ])('%s: a number where a string belongs', async (where, cfg) => {
    const r = await check(cfg);
    expect(r.code).toBe(1);
    if (where.endsWith('username')) {
      expect(r.err).toContain('wharf.broker.username: expected a string, found number 5');
      return;
    }
    expect(r.err).toContain(`${where}: expected a string, found a number (value hidden)`);
    expect(r.all).not.toContain(String(SECRET));
  });

  it('a secret written as an unquoted word or a bad number in the file', async () => {
    const word = await check(
      '{"remotes": [{"name": "b", "address": "mqtt://b", "secret": hunter2xyz}]}',
    );
    expect(word.code).toBe(1);
    expect(word.err).toMatch(/value hidden/);
    expect(word.all).not.toContain('hunter2xyz');
    const num = await check('{"wharf": {"sync": {"url": "http://c", "api_key": 0123456789}}}');
    expect(num.code).toBe(1);
    expect(num.all).not.toContain('123456789');
  });

  it('any key named like a secret (token, key, password) hides its value, at any depth', async () => {
    const r = load({
      wharf: { broker: { url: 'mqtt://b:1', tls: { cert: 'c', key: 4242424242 } } },
      services: [{ type: 'data_manager', attributes: { maximum_capture_file_size_bytes: -1 } }],
    });
    const all = JSON.stringify(r.issues);
    expect(all).not.toContain('4242424242');
    expect(all).toContain('(found -1)'); // ordinary values are still shown
  });

  it('a URL with userinfo is printed without it', async () => {
    const r = await check({
      ...withRemote([A1]),
      wharf: { broker: { url: 'ftp://user:p@ss:w0rd@broker:21' } },
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain('"ftp://***@broker:21" is not a broker URL');
    expect(r.all).not.toMatch(/p@ss|w0rd|user:/);
    const s = await check({
      ...withRemote([A1]),
      wharf: { sync: { url: 'gopher://alice:s3cr3t@cloud', api_key: 'k' } },
    });
    expect(s.err).toContain('"gopher://***@cloud" is not an http(s) URL');
    expect(s.all).not.toContain('s3cr3t');
  });

  it('a URL query parameter named like a secret is printed without its value (explain, text and JSON)', async () => {
    const cfg = {
      ...withRemote([A1], {
        address: 'sim://esp-home?wave=sine&token=t0kenV4lue&Password=pw0rdV4lue',
      }),
      wharf: { sync: { url: 'http://127.0.0.1:9/in?api_key=k3yV4lue&x=1', api_key: 'k' } },
    };
    const text = await check(cfg, 'explain');
    expect(text.code, text.all).toBe(0);
    expect(text.out).toContain('sync to http://127.0.0.1:9/in?api_key=***&x=1');
    const json = await check(cfg, 'explain', ['--json']);
    expect(json.out).toContain('sim://esp-home?wave=sine&token=***&Password=***');
    for (const r of [text, json]) expect(r.all).not.toMatch(/t0kenV4lue|pw0rdV4lue|k3yV4lue/);
  });
});

describe('a password in a --url the CLI is given is never printed', () => {
  it.for([
    ['query'],
    ['cloud', 'export', '--format', 'csv', '--out', 'x.csv'],
    ['cloud', 'machines'],
  ])('wharf %s …', async (cmd) => {
    const r = await runCli(
      [
        ...cmd,
        '--url',
        'http://alice:Pa55w0rdV4lue@127.0.0.1:1/?token=t0kenV4lue',
        '--key',
        `wharf_000000000000_${'a'.repeat(30)}`,
      ],
      ENV,
      tmp,
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('http://***@127.0.0.1:1');
    expect(r.out + r.err).not.toMatch(/Pa55w0rdV4lue|t0kenV4lue|alice/);
  });
});

describe('capture methods', () => {
  it('an unknown method is an error with a did-you-mean; exit 1', async () => {
    const r = await check(withRemote([{ ...A1, method: 'Analog' }]));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown capture method "Analog" for rdk:component:board\/my-esp32/);
    expect(r.err).toMatch(/did you mean "Analogs"\?/);
    const far = errors(load(withRemote([{ ...A1, method: 'Xyzzyplugh' }])));
    expect(far[0]?.hint).not.toMatch(/did you mean/);
  });

  it('a Viam method wharf does not capture stays a warning (listed, not captured)', async () => {
    const r = load({
      components: [
        {
          name: 'cam',
          type: 'camera',
          service_configs: [
            {
              type: 'data_manager',
              attributes: { capture_methods: [{ method: 'ReadImage', capture_frequency_hz: 1 }] },
            },
          ],
        },
      ],
    });
    expect(r.ok).toBe(true);
  });

  it('a rate the transport cannot reach is an error for every transport', async () => {
    const at = (address: string, hz: number) =>
      check(withRemote([{ ...A1, capture_frequency_hz: hz }], { address }));
    const sim = await at('sim://esp-home', 100_000);
    expect(sim.code).toBe(1);
    expect(sim.err).toMatch(/sim board accepts at most 1000 Hz .* Analogs at 100000 Hz is asked/);
    expect((await at('sim://esp-home?maxhz=50', 60)).code).toBe(1);
    expect((await at('sim://esp-home?maxhz=50', 50)).code).toBe(0);
    const mqtt = await at('mqtt://esp-home', 5000);
    expect(mqtt.code).toBe(1);
    expect(mqtt.err).toMatch(/firmware samples at most 2000 Hz/);
    expect((await at('serial:///dev/ttyUSB0?baud=2000000', 3000)).code).toBe(1);
    expect((await at('firmata:///dev/ttyACM0', 200)).code).toBe(1);
    expect((await at('sim://esp-home', 1000)).code).toBe(0);
  });

  it('a service declared with "api": "rdk:service:vision" is named rdk:service:…', async () => {
    const cfg = {
      components: [
        {
          name: 'detector',
          api: 'rdk:service:vision',
          model: 'mlmodel',
          service_configs: [
            {
              type: 'data_manager',
              attributes: {
                capture_methods: [{ method: 'CaptureAllFromCamera', capture_frequency_hz: 1 }],
              },
            },
          ],
        },
      ],
    };
    const r = await check(cfg, 'explain');
    expect(r.code).toBe(0);
    expect(r.out).toContain('rdk:service:vision/detector');
    expect(r.all).not.toContain('rdk:component:vision');
    const warn = load(cfg)
      .issues.map((i) => i.message)
      .join('\n');
    expect(warn).toContain('rdk:service:vision/detector');
    expect(warn).not.toContain('rdk:component:vision');
  });

  it('disabled and 0 Hz methods still show in explain, marked', async () => {
    const cfg = withRemote([
      A1,
      { ...A1, additional_params: { reader_name: 'A2' }, disabled: true },
      { ...A1, method: 'Gpio', additional_params: { pin_name: '27' }, capture_frequency_hz: 0 },
    ]);
    const r = await check(cfg, 'explain');
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => l.startsWith('esp-home'));
    expect(rows).toHaveLength(3);
    expect(rows.find((l) => l.includes('Analogs') && l.includes('A1'))).toMatch(/capture/);
    expect(rows.find((l) => l.includes('off: disabled'))).toMatch(/Analogs/);
    expect(rows.find((l) => l.includes('off: 0 Hz'))).toMatch(/Gpio/);
    const j = await check(cfg, 'explain', ['--json']);
    const json = JSON.parse(j.out) as { entries: { note: string; disabled?: boolean }[] };
    expect(
      json.entries
        .filter((e) => e.disabled === true)
        .map((e) => e.note)
        .sort(),
    ).toEqual(['0 Hz', 'disabled']);
  });
});
