/** `wharf sync now`: upload every finished capture file now (one pass), with progress. */
import { parse } from '../args.js';
import type { CliCommand } from '../context.js';
import { WharfError } from '../../shared/errors.js';
import { openSyncTarget } from '../../sync/open-target.js';
import { resolveSyncSetup } from '../sync-setup.js';
import { SyncWorker } from '../../sync/worker.js';

const USAGE = `usage: wharf sync now [--config FILE] [--dir CAPTURE_DIR] [--url URL --key KEY | --to-dir PATH] [--concurrency N]
  Uploads the finished capture files of the capture directory to the configured target (wharf.sync
  in the config, or --url/--key, or --to-dir), deleting each one only after the target acknowledged
  it. Safe while the gateway runs: an upload twice is stored once.`;

export const command: CliCommand = {
  async run(args, ctx) {
    const { values, positionals } = parse(
      args,
      {
        config: { type: 'string' },
        dir: { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string' },
        'to-dir': { type: 'string' },
        concurrency: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      USAGE,
    );
    if (values.help === true) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals[0] !== 'now' || positionals.length > 1) throw new WharfError('USAGE', USAGE);
    const setup = await resolveSyncSetup(values, ctx.env, ctx.cwd);
    const target = openSyncTarget(setup.target, ctx.env);
    if (target === null)
      throw new WharfError(
        'USAGE',
        `no sync target: set wharf.sync in the config or pass --url URL --key KEY or --to-dir PATH\n${USAGE}`,
      );
    const worker = new SyncWorker({
      captureDir: setup.captureDir,
      target,
      intervalMs: setup.intervalMs,
      persistStatus: false,
      ...(values.concurrency === undefined ? {} : { concurrency: Number(values.concurrency) }),
    });
    ctx.stderr.write(`syncing ${setup.captureDir} → ${target.description}\n`);
    const r = await worker.syncNow();
    await worker.stop();
    ctx.stdout.write(
      `synced ${r.uploaded + r.alreadyStored} file(s) (${r.uploaded} new, ${r.alreadyStored} already stored), ${r.records} record(s), ${r.bytes} bytes; ${r.failed} moved to failed/; ${r.remaining} left\n`,
    );
    if (r.error !== null) {
      ctx.stderr.write(
        `sync stopped: ${r.error.message} [${r.error.code}]; the files stay and are retried\n`,
      );
      return 1;
    }
    if (r.refused !== undefined) {
      ctx.stderr.write(`a file was refused: ${r.refused.message} [${r.refused.code}]\n`);
      return 1;
    }
    return 0;
  },
};
