/** `wharf run --config FILE`: run the gateway until Ctrl-C. */
import path from 'node:path';
import type { CliCommand } from '../context.js';
import { parse } from '../args.js';
import { WharfError } from '../../shared/errors.js';
import { appLogger } from '../../app/logger.js';
import { launch } from '../../app/launch.js';

const USAGE = `usage: wharf run --config FILE [--duration SECONDS] [--log-level debug|info|warn|error]
  Runs the gateway: recovers the capture dir, connects the boards, captures until Ctrl-C/SIGTERM,
  reloads the config live when the file changes. Logs (JSON lines) go to stderr.`;

export const command: CliCommand = {
  async run(args, ctx) {
    const { values, positionals } = parse(
      args,
      {
        config: { type: 'string', short: 'c' },
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
    const config = values.config ?? positionals[0];
    if (config === undefined) throw new WharfError('USAGE', `--config FILE is required\n${USAGE}`);
    const durationMs = parseDuration(values.duration, USAGE);
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

export function parseDuration(v: string | undefined, usage: string): number | undefined {
  if (v === undefined) return undefined;
  const s = Number(v);
  if (!Number.isFinite(s) || s <= 0)
    throw new WharfError('USAGE', `--duration ${v}: give a positive number of seconds\n${usage}`);
  return s * 1000;
}
