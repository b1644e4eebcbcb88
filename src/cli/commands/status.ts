/** `wharf status [--config FILE | --dir CAPTURE_DIR] [--json]`: sync backlog, last sync, last error. */
import { parse } from '../args.js';
import type { CliCommand } from '../context.js';
import { measureBacklog } from '../../sync/backlog.js';
import { resolveSyncSetup } from '../sync-setup.js';
import { readStatus } from '../../sync/status-file.js';
import { buildReport, formatReport } from '../../sync/status-report.js';

const USAGE = `usage: wharf status [--config FILE] [--dir CAPTURE_DIR] [--json]
  Shows the sync backlog (files, bytes, age of the oldest reading), the last sync and the last error
  of the gateway using that capture directory, and warns when the backlog is older than 10 × the
  sync interval. Exit code 0, or 3 when there is a warning.`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const command: CliCommand = {
  async run(args, ctx) {
    const { values } = parse(
      args,
      {
        config: { type: 'string' },
        dir: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (values.help === true) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const setup = await resolveSyncSetup(values, ctx.env, ctx.cwd);
    const gateway = await readStatus(setup.captureDir);
    const report = buildReport({
      captureDir: setup.captureDir,
      intervalMs: setup.intervalMs,
      target:
        setup.target === null
          ? null
          : setup.target.kind === 'dir'
            ? `directory ${setup.target.path}`
            : `cloud ${new URL(setup.target.url).origin}`,
      nowMs: Date.now(),
      backlog: await measureBacklog(setup.captureDir),
      gateway,
      gatewayRunning: gateway !== null && gateway.state !== 'stopped' && alive(gateway.pid),
    });
    ctx.stdout.write(
      values.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report),
    );
    return report.warnings.length > 0 ? 3 : 0;
  },
};
