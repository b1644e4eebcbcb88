/**
 * `wharf service install|uninstall|status`: the unit it writes passes `systemd-analyze verify`
 * with no warning and says what a supervised gateway needs; systemctl is called as a real process
 * (a recording stand-in given with --systemctl, since no systemd runs here).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { execWord, renderUnit } from '../../src/app/service-unit.js';
import { requireTool } from '../helpers/system-tool.js';
import { captureContext } from '../helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = path.join(ROOT, 'examples/sim-gateway.jsonc');
const hasAnalyze = requireTool('systemd-analyze', 'checks the generated systemd unit');

function verify(file: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile('systemd-analyze', ['verify', file], (err, _stdout, stderr) =>
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), stderr }),
    ),
  );
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('wharf service', () => {
  it.skipIf(!hasAnalyze)(
    'install writes a Type=notify unit with watchdog, restart, state dir, journald and SIGTERM stop that systemd-analyze verifies',
    async () => {
      const units = path.join(dir, 'units');
      const ctx = captureContext({ ...process.env }, ROOT);
      const code = await main(
        ['service', 'install', '--config', EXAMPLE, '--unit-dir', units, '--no-systemctl'],
        ctx,
      );
      expect(code, ctx.err()).toBe(0);
      const file = path.join(units, 'wharf.service');
      const unit = await readFile(file, 'utf8');
      const lines = unit.split('\n');
      for (const want of [
        'Type=notify',
        'NotifyAccess=main',
        'WatchdogSec=30',
        'Restart=on-failure',
        'StateDirectory=wharf',
        'Environment=WHARF_HOME=%S/wharf',
        'KillSignal=SIGTERM',
        'KillMode=mixed',
        'StandardError=journal',
        'DynamicUser=yes',
        'WantedBy=multi-user.target',
      ])
        expect(lines, want).toContain(want);
      expect(lines).toContain(
        `ExecStart=${process.execPath} --max-semi-space-size=1 --v8-pool-size=1 ${path.join(ROOT, 'bin/wharf.mjs')} run --config ${EXAMPLE}`,
      );
      expect(unit).not.toMatch(/\.log\b|StandardOutput=file/); // the journal is the only log
      expect(ctx.out()).toContain('(skipped: systemctl enable --now wharf.service)');
      const v = await verify(file);
      expect(v, v.stderr).toEqual({ code: 0, stderr: '' });
    },
  );

  it.skipIf(!hasAnalyze)(
    'a capture dir outside the state dir becomes ReadWritePaths; --user and odd paths still verify',
    async () => {
      const odd = path.join(dir, 'conf dir 100%');
      await mkdir(odd, { recursive: true });
      const config = path.join(odd, 'gw.jsonc');
      const src = await readFile(EXAMPLE, 'utf8');
      await writeFile(
        config,
        src
          .replace('"capture_dir": ""', `"capture_dir": ${JSON.stringify(path.join(dir, 'data'))}`)
          .replace('"flush_interval_ms": 1000', '"flush_interval_ms": 5000'),
      );
      const units = path.join(dir, 'units');
      const ctx = captureContext({ ...process.env }, ROOT);
      const args = ['service', 'install', '--config', config, '--unit-dir', units];
      expect(await main([...args, '--no-systemctl', '--user', 'root'], ctx), ctx.err()).toBe(0);
      const unit = await readFile(path.join(units, 'wharf.service'), 'utf8');
      expect(unit).toContain(`ReadWritePaths=${path.join(dir, 'data')}`);
      expect(unit).toContain('User=root');
      expect(unit).toContain('WatchdogSec=50'); // 10 × flush_interval_ms
      expect(unit).toContain(`--config "${odd.replace('%', '%%')}/gw.jsonc"`);
      const v = await verify(path.join(units, 'wharf.service'));
      expect(v, v.stderr).toEqual({ code: 0, stderr: '' });
    },
  );

  it('install, status and uninstall call systemctl (a recording stand-in) and manage the unit file', async () => {
    const units = path.join(dir, 'units');
    const log = path.join(dir, 'systemctl.log');
    const fake = path.join(dir, 'systemctl');
    await writeFile(fake, `#!/bin/sh\necho "$@" >> ${JSON.stringify(log)}\necho "fake status"\n`);
    await chmod(fake, 0o755);
    const base = ['--unit-dir', units, '--systemctl', fake, '--name', 'wharf-test'];
    const ctx = captureContext({ ...process.env }, ROOT);
    expect(await main(['service', 'install', '--config', EXAMPLE, ...base], ctx), ctx.err()).toBe(
      0,
    );
    expect(existsSync(path.join(units, 'wharf-test.service'))).toBe(true);
    expect(await main(['service', 'status', ...base], ctx)).toBe(0);
    expect(ctx.out()).toContain('fake status');
    expect(await main(['service', 'uninstall', ...base], ctx)).toBe(0);
    expect(existsSync(path.join(units, 'wharf-test.service'))).toBe(false);
    expect((await readFile(log, 'utf8')).trim().split('\n')).toEqual([
      'daemon-reload',
      'enable --now wharf-test.service',
      'status --no-pager wharf-test.service',
      'disable --now wharf-test.service',
      'daemon-reload',
    ]);
    expect(await main(['service', 'status', ...base], ctx)).toBe(3); // not installed
  });

  it('refuses what would break the unit: bad names, users, line breaks', () => {
    const ok = {
      name: 'wharf',
      node: '/usr/bin/node',
      wharfBin: '/opt/wharf/bin/wharf.mjs',
      config: '/etc/wharf/gateway.jsonc',
      machine: 'm',
      watchdogSec: 30,
      readWritePaths: [],
      version: '0',
    };
    expect(() => renderUnit({ ...ok, name: 'a b' })).toThrow(/unit name/);
    expect(() => renderUnit({ ...ok, user: 'root;rm' })).toThrow(/not a valid user/);
    expect(() => renderUnit({ ...ok, config: '/etc/x\nExecStartPre=/bin/sh' })).toThrow(
      /line break/,
    );
    expect(execWord('/a b/$HOME')).toBe('"/a b/$$HOME"');
  });
});
