/** `wharf config check|explain` as a user runs them, and explain's column extension point. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_COLUMNS,
  ESTIMATED_BYTES_PER_READING_RECORD,
  explainPlan,
  explainRows,
  loadConfigFile,
  type ExplainColumn,
} from '../../src/config/index.js';
import { runCli } from '../helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-config-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const wharf = (args: string[], env: NodeJS.ProcessEnv = { HOME: '/home/tester' }, cwd = ROOT) =>
  runCli(args, env, cwd);

describe('wharf config check', () => {
  it.each([
    ['examples/sim-gateway.jsonc', {}],
    ['examples/esp32-serial.jsonc', {}],
    ['examples/esp32-mqtt.jsonc', { WHARF_API_KEY: 'k' }],
    ['examples/esp32-board-part.json', {}],
    ['examples/esp32-sensors.jsonc', {}],
  ])('%s passes', async (file, env) => {
    const r = await wharf(['config', 'check', file], { HOME: '/home/tester', ...env });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });

  it('the demo config has three simulated boards with Analogs and Gpio, without warnings', async () => {
    const r = await loadConfigFile(path.join(ROOT, 'examples/sim-gateway.jsonc'), {
      env: { HOME: '/h' },
    });
    expect(r.ok && r.issues).toEqual([]);
    if (!r.ok) return;
    expect(r.plan.boards.map((b) => b.transport)).toEqual(['sim', 'sim', 'sim']);
    expect(new Set(r.plan.entries.map((e) => e.method))).toEqual(new Set(['Analogs', 'Gpio']));
    expect(r.plan.entries.every((e) => e.supported && e.hz > 0 && e.hz <= 10)).toBe(true);
  });

  it('prints every error with file:line, path and hint, and exits 1', async () => {
    const file = path.join(tmp, 'bad.json');
    fs.writeFileSync(
      file,
      `{
  "services": [{"type": "data_manager", "attributes": {"capture_frequency_hz": 1, "sync_interval_mins": -5}}],
  "remotes": [{"name": "r", "address": "serial://",
    "service_configs": [{"type": "data_manager", "attributes": {"capture_methods": [{"method": "Gpio", "capture_frequency_hz": 1}]}}]}]
}`,
    );
    const r = await wharf(['config', 'check', 'bad.json'], { HOME: '/h' }, tmp);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain(
      'error   bad.json:2  services[0].attributes.sync_interval_mins: must be greater than 0 (found -5)\n        hint: minutes between syncs',
    );
    expect(r.err).toContain(
      'error   bad.json:3  remotes[0].address: address "serial://" has no device path',
    );
    expect(r.err).toContain(
      `error   bad.json:4  remotes[0].service_configs[0].attributes.capture_methods[0]: a remote's capture method needs "name"`,
    );
    expect(r.err).toContain(
      'bad.json: 3 errors, 0 warnings; fix the errors above (nothing would start)',
    );
  });

  it('reports a missing file and bad usage', async () => {
    const missing = await wharf(['config', 'check', 'nope.json'], { HOME: '/h' }, tmp);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/cannot read .*nope\.json \(ENOENT\)/);
    const usage = await wharf(['config', 'frobnicate', 'x.json']);
    expect(usage.code).toBe(1);
    expect(usage.err).toMatch(/expected 'check FILE' or 'explain FILE'/);
  });
});

describe('wharf config explain', () => {
  it('prints each resource, method, Hz, readers, transport and bytes/s', async () => {
    const r = await wharf(['config', 'explain', 'examples/sim-gateway.jsonc']);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const header = lines.find((l) => l.startsWith('board'));
    expect(header?.split(/\s{2,}/)).toEqual([
      'board',
      'transport',
      'resource',
      'method',
      'Hz',
      'readers/pins',
      'bytes/s',
      'status',
      'link',
    ]);
    const row = lines.find((l) => l.includes('press3-board'))?.split(/\s{2,}/);
    // 3 Hz × 2 readers × 40 bytes
    expect(row).toEqual([
      'press3',
      'sim',
      'rdk:component:board/press3-board',
      'Analogs',
      '3',
      'force,position',
      '240 B/s',
      'capture',
      '-',
    ]);
    expect(r.out).toContain(
      '3 board(s), 7 entries (6 captured): 21 readings/s ≈ 840 B/s (estimate: 40 bytes per reading)',
    );
  });

  it('--json gives machine-readable rows without secrets', async () => {
    const r = await wharf(['config', 'explain', '--json', 'examples/esp32-serial.jsonc']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as {
      entries: { key: string; bytes_per_s: number; transport: string; scheduled: boolean }[];
      total_bytes_per_s: number;
    };
    expect(j.entries.find((e) => e.key === 'uno/board/uno-board/Gpio/2,3')).toMatchObject({
      bytes_per_s: 5 * 2 * ESTIMATED_BYTES_PER_READING_RECORD,
      transport: 'firmata',
      scheduled: true,
    });
    expect(j.total_bytes_per_s).toBe(73 * ESTIMATED_BYTES_PER_READING_RECORD);
    expect(r.out).not.toContain('change-me');
  });

  it('refuses to explain a broken config', async () => {
    const file = path.join(tmp, 'broken.json');
    fs.writeFileSync(file, '{"remotes": [');
    const r = await wharf(['config', 'explain', file]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/syntax error at 1:14/);
  });

  it('takes extra columns (the extension point for e.g. a link budget)', async () => {
    const res = await loadConfigFile(path.join(ROOT, 'examples/sim-gateway.jsonc'), {
      env: { HOME: '/h' },
    });
    if (!res.ok) throw new Error('example invalid');
    const budget: ExplainColumn = {
      header: 'link',
      value: ({ row, board }) => `${board?.id}:${row.readings_per_s}/s`,
      align: 'right',
    };
    const text = explainPlan(res.plan, { columns: [...DEFAULT_COLUMNS, budget] });
    expect(text.split('\n').find((l) => l.startsWith('board'))).toMatch(/status\s+link$/);
    expect(text).toContain('press3:6/s');
    const rows = explainRows(res.plan, { columns: [...DEFAULT_COLUMNS, budget] });
    expect(rows.at(-1)).toMatchObject({ board: 'press3', disabled: true, note: 'disabled' });
    expect(rows.filter((r) => r.scheduled).at(-1)?.extra).toEqual({
      link: 'press3:6/s',
    });
  });
});

describe('explain output hides credentials', () => {
  it('never prints secrets or userinfo of an address', async () => {
    const file = path.join(tmp, 'creds.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        remotes: [{ name: 'r', address: 'mqtt://board:hunter2@r', secret: 'topsecret' }],
      }),
    );
    const j = await wharf(['config', 'explain', '--json', file]);
    const t = await wharf(['config', 'explain', file]);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out).boards[0].address).toBe('mqtt://***@r');
    for (const out of [j.out, t.out]) {
      expect(out).not.toContain('hunter2');
      expect(out).not.toContain('topsecret');
    }
  });
});
