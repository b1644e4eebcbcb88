/** `wharf run --config FILE`: run the gateway until Ctrl-C. */
import path from 'node:path';
import type { CliCommand } from '../context.js';
import { parse } from '../args.js';
import { WharfError } from '../../shared/errors.js';
import { appLogger } from '../../app/logger.js';
import { launch } from '../../app/launch.js';

const USAGE = `usage: wharf run --config FILE [--duration SECONDS] [--log-level debug|info|warn|error]
       wharf run --cloud URL --machine NAME [--key KEY] [--cache FILE] [--duration SECONDS]
  Runs the gateway: recovers the capture dir, connects the boards, captures until Ctrl-C/SIGTERM,
  reloads the config live when the file changes. Logs (JSON lines) go to stderr.
  With --cloud the config comes from the cloud (docs/fleet.md): changes apply live, the last good
  config is cached (default $WHARF_HOME/fleet/NAME.json) for a boot while the cloud is down. The
  key (--key or $WHARF_API_KEY) is the machine's key. A config file whose wharf section has
  "cloud": {"url", "machine", "api_key"?} does the same.`;

export const command: CliCommand = {
  async run(args, ctx) {
    const { values, positionals } = parse(
      args,
      {
        config: { type: 'string', short: 'c' },
        cloud: { type: 'string' },
        machine: { type: 'string' },
        key: { type: 'string' },
        cache: { type: 'string' },
        duration: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (values.help === true) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const durationMs = parseDuration(values.duration, USAGE);
    if (values.cloud !== undefined) return runFromCloud(values, ctx, durationMs);
    const config = values.config ?? positionals[0];
    if (config === undefined) throw new WharfError('USAGE', `--config FILE is required\n${USAGE}`);
    // a local file may only point at the cloud: {"wharf": {"cloud": {"url", "machine", "api_key"?}}}
    const { cloudPointer } = await import('../../app/cloud-config.js');
    const ptr = await cloudPointer(path.resolve(ctx.cwd, config));
    if (ptr !== undefined)
      return runFromCloud(
        {
          ...values,
          cloud: ptr.url,
          machine: ptr.machine,
          key: values.key ?? ctx.env.WHARF_API_KEY ?? ptr.api_key,
          ...(ptr.cache === undefined ? {} : { cache: ptr.cache }),
        },
        ctx,
        durationMs,
      );
    return launch({
      configPath: path.resolve(ctx.cwd, config),
      displayPath: config,
      env: ctx.env,
      stdout: ctx.stdout,
      stderr: ctx.stderr,
      logger: appLogger(values['log-level'] ?? ctx.env.WHARF_LOG_LEVEL ?? 'info'),
      ...(durationMs === undefined ? {} : { durationMs }),
    });
  },
};

async function runFromCloud(
  v: { cloud?: string; machine?: string; key?: string; cache?: string; 'log-level'?: string },
  ctx: Parameters<CliCommand['run']>[1],
  durationMs: number | undefined,
): Promise<number> {
  const key = v.key ?? ctx.env.WHARF_API_KEY;
  if (v.machine === undefined || key === undefined || key === '')
    throw new WharfError(
      'USAGE',
      `--cloud needs --machine NAME and the machine's key (--key or WHARF_API_KEY)\n${USAGE}`,
    );
  const { launchFromCloud } = await import('../../app/cloud-config.js');
  return launchFromCloud({
    url: v.cloud!,
    key,
    machine: v.machine,
    ...(v.cache === undefined ? {} : { cacheFile: path.resolve(ctx.cwd, v.cache) }),
    env: ctx.env,
    stdout: ctx.stdout,
    stderr: ctx.stderr,
    logger: appLogger(v['log-level'] ?? ctx.env.WHARF_LOG_LEVEL ?? 'info'),
    ...(durationMs === undefined ? {} : { durationMs }),
  });
}

export function parseDuration(v: string | undefined, usage: string): number | undefined {
  if (v === undefined) return undefined;
  const s = Number(v);
  if (!Number.isFinite(s) || s <= 0)
    throw new WharfError('USAGE', `--duration ${v}: give a positive number of seconds\n${usage}`);
  return s * 1000;
}
