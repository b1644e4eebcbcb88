/**
 * `wharf service install|uninstall|status`: the gateway as a systemd service (src/app/service-unit.ts
 * has the unit and why each line is there). `--unit-dir` and `--systemctl`/`--no-systemctl` let
 * the commands run where systemd does not (tests, image builds).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { WharfError } from '../../shared/errors.js';
import { PACKAGE_ROOT } from '../../app/firmware-toolchain.js';
import {
  renderUnit,
  STATE_DIR_NAME,
  watchdogSecFor,
  type UnitSettings,
} from '../../app/service-unit.js';

const USAGE = `usage: wharf service install [--config FILE] [--user USER] [--name wharf] [--watchdog-sec N]
                             [--wharf-bin PATH] [--node PATH]
       wharf service uninstall [--name wharf]
       wharf service status [--name wharf]
  common: [--unit-dir /etc/systemd/system] [--systemctl PATH | --no-systemctl]

  install writes <unit-dir>/<name>.service (Type=notify, WatchdogSec fed by capture progress,
  Restart=on-failure, capture dir in /var/lib/wharf, logs in the journal), then runs
  systemctl daemon-reload and systemctl enable --now. Without --user the unit uses DynamicUser=yes.
  The config defaults to /etc/wharf/gateway.jsonc and must be readable by the service user.
  --wharf-bin / --node: what ExecStart runs (default: this wharf and this node; give a stable path
  such as /opt/wharf/current/lib/node_modules/wharf/bin/wharf.mjs for symlink-flip upgrades).`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  user: { type: 'string' },
  name: { type: 'string' },
  'unit-dir': { type: 'string' },
  systemctl: { type: 'string' },
  'no-systemctl': { type: 'boolean' },
  'watchdog-sec': { type: 'string' },
  'wharf-bin': { type: 'string' },
  node: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = Record<string, string | boolean | undefined>;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function systemctl(values: Values, ctx: CliContext, args: string[], check = true): number {
  if (values['no-systemctl'] === true) {
    ctx.stdout.write(`  (skipped: systemctl ${args.join(' ')})\n`);
    return 0;
  }
  const bin = (values.systemctl as string | undefined) ?? 'systemctl';
  const r = spawnSync(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.error !== undefined)
    throw new WharfError(
      'SERVICE',
      `cannot run ${bin} (${r.error.message}); is systemd running here? (--no-systemctl writes the unit only)`,
    );
  ctx.stdout.write(r.stdout);
  ctx.stderr.write(r.stderr);
  if (check && r.status !== 0)
    throw new WharfError('SERVICE', `${bin} ${args.join(' ')} exited with ${r.status}`);
  return r.status ?? 1;
}

function unitFile(values: Values): { name: string; file: string } {
  const name = (values.name as string | undefined) ?? 'wharf';
  const dir = (values['unit-dir'] as string | undefined) ?? '/etc/systemd/system';
  return { name, file: path.resolve(dir, `${name}.service`) };
}

async function install(values: Values, ctx: CliContext): Promise<number> {
  const config = path.resolve(
    ctx.cwd,
    (values.config as string | undefined) ?? '/etc/wharf/gateway.jsonc',
  );
  if (!existsSync(config))
    throw new WharfError('USAGE', `config ${config} does not exist; pass --config FILE\n${USAGE}`);
  const { loadConfigFile, formatIssue } = await import('../../config/index.js');
  // resolve it as the service will: WHARF_HOME is the state directory
  const stateDir = `/var/lib/${STATE_DIR_NAME}`;
  const loaded = await loadConfigFile(config, { env: { ...ctx.env, WHARF_HOME: stateDir } });
  if (!loaded.ok) {
    for (const i of loaded.issues) ctx.stderr.write(`${formatIssue(i, config)}\n`);
    throw new WharfError('CONFIG_INVALID', `${config} has errors; no unit was written`);
  }
  const plan = loaded.plan;
  const captureDir = plan.dataManager.capture_dir;
  const inState = captureDir === stateDir || captureDir.startsWith(`${stateDir}/`);
  const wd = values['watchdog-sec'];
  const settings: UnitSettings = {
    name: unitFile(values).name,
    node: typeof values.node === 'string' ? path.resolve(ctx.cwd, values.node) : process.execPath,
    wharfBin:
      typeof values['wharf-bin'] === 'string'
        ? path.resolve(ctx.cwd, values['wharf-bin'])
        : path.join(PACKAGE_ROOT, 'bin', 'wharf.mjs'),
    config,
    machine: plan.machine,
    watchdogSec:
      typeof wd === 'string' ? Number(wd) : watchdogSecFor(plan.dataManager.flush_interval_ms),
    readWritePaths: inState ? [] : [captureDir],
    version: version(),
    ...(typeof values.user === 'string' ? { user: values.user } : {}),
  };
  const unit = renderUnit(settings);
  const { file, name } = unitFile(values);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, unit, { mode: 0o644 });
  await rename(tmp, file);
  ctx.stdout.write(
    `wrote ${file}\n  runs: ${settings.node} ${settings.wharfBin} run --config ${config}\n` +
      `  capture dir: ${captureDir}${inState ? ' (StateDirectory)' : ' (ReadWritePaths)'}; WatchdogSec=${settings.watchdogSec}; user: ${settings.user ?? 'DynamicUser'}\n`,
  );
  systemctl(values, ctx, ['daemon-reload']);
  systemctl(values, ctx, ['enable', '--now', `${name}.service`]);
  ctx.stdout.write(
    `logs: journalctl -u ${name} -f   status: wharf service status${name === 'wharf' ? '' : ` --name ${name}`}\n`,
  );
  return 0;
}

async function uninstall(values: Values, ctx: CliContext): Promise<number> {
  const { file, name } = unitFile(values);
  if (!existsSync(file)) {
    ctx.stdout.write(`${file} is not there: nothing to uninstall\n`);
    return 0;
  }
  systemctl(values, ctx, ['disable', '--now', `${name}.service`]);
  await rm(file);
  systemctl(values, ctx, ['daemon-reload']);
  ctx.stdout.write(
    `removed ${file}; captured data stays in /var/lib/${STATE_DIR_NAME} (delete it yourself when synced)\n`,
  );
  return 0;
}

function status(values: Values, ctx: CliContext): number {
  const { file, name } = unitFile(values);
  if (!existsSync(file)) {
    ctx.stdout.write(`${name}: not installed (${file} missing)\n`);
    return 3;
  }
  ctx.stdout.write(`unit: ${file}\n`);
  const code = systemctl(values, ctx, ['status', '--no-pager', `${name}.service`], false);
  ctx.stdout.write(
    `capture status: WHARF_HOME=/var/lib/${STATE_DIR_NAME} wharf status --config <config>\n`,
  );
  return code;
}

export const command: CliCommand = {
  async run(args, ctx) {
    const { values, positionals } = parse(args, OPTIONS, USAGE);
    const sub = positionals[0];
    if (values.help === true || sub === undefined) {
      ctx.stdout.write(`${USAGE}\n`);
      return values.help === true ? 0 : 2;
    }
    if (sub === 'install') return install(values, ctx);
    if (sub === 'uninstall') return uninstall(values, ctx);
    if (sub === 'status') return status(values, ctx);
    throw new WharfError('USAGE', `unknown service subcommand '${sub}'\n${USAGE}`);
  },
};
