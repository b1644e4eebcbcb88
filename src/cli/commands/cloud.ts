/** `wharf cloud serve | keys create|list|revoke | export`. */
import path from 'node:path';
import { parse } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { WharfError } from '../../shared/errors.js';
import { appLogger } from '../../app/logger.js';
import type { Logger } from '../../shared/logger.js';
import { withStopSignals, type StopSignals } from '../../app/serve.js';
import {
  CLIENT_OPTIONS,
  clientFromOptions,
  FILTER_OPTIONS,
  FILTER_USAGE,
  filterFromOptions,
} from '../cloud-options.js';
import { EXPORT_FORMATS, parseFormat } from '../../cloud/export/sinks.js';
import { filterToQuery } from '../../cloud/filters.js';
import { openCloudStore } from '../../cloud/open-store.js';
import { fmtBytes, progressBar } from '../../cloud/progress.js';
import { buildCloudServer, type CloudPlugin } from '../../cloud/server.js';
import { cloudMetrics } from '../../cloud/metrics.js';
import { Metrics } from '../../shared/metrics.js';
import { openFleetStore } from '../../cloud/fleet/open.js';
import { fleetPlugin } from '../../cloud/fleet/routes.js';
import { retentionPlugin } from '../../cloud/retention/plugin.js';
import { fleetCli } from './fleet.js';

const USAGE = `usage: wharf cloud serve [--db FILE | --pg URL] [--host 127.0.0.1] [--port 8080] [--max-file-mb 16] [--sql-timeout-s 10] [--sql-concurrency 4] [--secure-cookies] [--no-ui]
       wharf cloud keys create --machine NAME [--label TEXT] | --read-only [--label TEXT]   [--db FILE | --pg URL]
       wharf cloud keys list | revoke KEY_ID                                                  [--db FILE | --pg URL]
       wharf cloud export --format csv|jsonl|parquet --out FILE [filters | --sql QUERY]
       wharf cloud export --images --out DIR [filters] [--mime-type image/jpeg]   (images + images.jsonl; resumable)
       wharf cloud fragments|machines|admin-key …   fleet config (wharf cloud fragments --help)
store:   --db FILE (SQLite, default $WHARF_HOME/cloud.db or ~/.wharf/cloud.db) or --pg URL / $WHARF_CLOUD_PG
${FILTER_USAGE}`;

const OPTIONS = {
  db: { type: 'string' },
  pg: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'max-file-mb': { type: 'string' },
  'sql-timeout-s': { type: 'string' },
  'sql-concurrency': { type: 'string' },
  'no-ui': { type: 'boolean' },
  'secure-cookies': { type: 'boolean' },
  machine: { type: 'string' },
  label: { type: 'string' },
  'read-only': { type: 'boolean' },
  format: { type: 'string' },
  out: { type: 'string' },
  sql: { type: 'string' },
  images: { type: 'boolean' },
  'mime-type': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...CLIENT_OPTIONS,
  ...Object.fromEntries(Object.entries(FILTER_OPTIONS).filter(([k]) => k !== 'machine')),
} as const;

/** Shortest WHARF_SESSION_SECRET accepted (`openssl rand -hex 32` gives 64). */
export const MIN_SESSION_SECRET = 32;

async function serve(
  v: Record<string, string | boolean | undefined>,
  ctx: CliContext,
): Promise<number> {
  const port = Number(v.port ?? ctx.env.WHARF_CLOUD_PORT ?? 8080);
  const maxMb = Number(v['max-file-mb'] ?? 16);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new WharfError('USAGE', `--port must be 0-65535 (got ${String(v.port)})`);
  const sqlTimeoutS = Number(v['sql-timeout-s'] ?? 10);
  if (!Number.isFinite(sqlTimeoutS) || sqlTimeoutS < 0.1 || sqlTimeoutS > 3600)
    throw new WharfError(
      'USAGE',
      `--sql-timeout-s must be 0.1-3600 seconds (got ${String(v['sql-timeout-s'])})`,
    );
  const sqlConcurrency = Number(v['sql-concurrency'] ?? 4);
  if (!Number.isInteger(sqlConcurrency) || sqlConcurrency < 1 || sqlConcurrency > 64)
    throw new WharfError(
      'USAGE',
      `--sql-concurrency must be a whole number 1-64 (got ${String(v['sql-concurrency'])})`,
    );
  // the secret signs login cookies: a guessable one lets anyone holding any key (who can log in
  // and so get a signed cookie to test guesses against offline) sign a session for another key
  // id, e.g. a fleet admin's (ids are shown in retention and fleet answers)
  const secret = ctx.env.WHARF_SESSION_SECRET;
  if (secret !== undefined && secret.length < MIN_SESSION_SECRET)
    throw new WharfError(
      'USAGE',
      `WHARF_SESSION_SECRET is too short (${secret.length} characters; at least ${MIN_SESSION_SECRET}): it signs login sessions, so it must not be guessable; make one with 'openssl rand -hex 32'`,
    );
  const logger = appLogger();
  const listen = {
    host: (v.host as string | undefined) ?? '127.0.0.1',
    port,
    maxFileBytes: Math.round(maxMb * 1024 * 1024),
    sqlTimeoutMs: Math.round(sqlTimeoutS * 1000),
    maxSqlStatements: sqlConcurrency,
    secureCookies: v['secure-cookies'] === true,
  };
  // SIGINT/SIGTERM from the start close the server and the stores cleanly once they are open
  // (src/app/serve.ts), never node's default
  await withStopSignals(
    logger,
    (signals) => serveUntilSignal(v, ctx, logger, listen, signals),
    'open requests and the store',
  );
  return 0;
}

async function serveUntilSignal(
  v: Record<string, string | boolean | undefined>,
  ctx: CliContext,
  logger: Logger,
  o: {
    host: string;
    port: number;
    maxFileBytes: number;
    sqlTimeoutMs: number;
    maxSqlStatements: number;
    secureCookies: boolean;
  },
  signals: StopSignals,
): Promise<void> {
  const stores = { db: v.db as string | undefined, pg: v.pg as string | undefined };
  const store = await openCloudStore({ ...stores, env: ctx.env, cwd: ctx.cwd, logger });
  const fleet = await openFleetStore({ ...stores, env: ctx.env, cwd: ctx.cwd, logger });
  const plugins: CloudPlugin[] = [fleetPlugin(fleet), retentionPlugin(fleet)];
  if (v['no-ui'] !== true) {
    plugins.push(async (app) => {
      try {
        const { cloudUi } = await import('../../cloud/ui/plugin.js');
        await cloudUi()(app, { logger });
      } catch (err) {
        logger.warn({ err: String(err) }, 'web UI not available; the API runs without it');
      }
    });
  }
  const app = await buildCloudServer({
    store,
    logger,
    plugins,
    metrics: cloudMetrics(new Metrics({ processMetrics: true })),
    maxFileBytes: o.maxFileBytes,
    sqlTimeoutMs: o.sqlTimeoutMs,
    maxSqlStatements: o.maxSqlStatements,
    sessionSecret: ctx.env.WHARF_SESSION_SECRET,
    secureCookies: o.secureCookies,
  });
  await app.listen({ host: o.host, port: o.port });
  const addr = app.server.address();
  const shown =
    typeof addr === 'object' && addr !== null ? `http://${o.host}:${addr.port}` : String(addr);
  ctx.stdout.write(`wharf cloud: serving ${store.kind} store at ${shown} (Ctrl-C stops)\n`);
  if ((await store.listKeys()).length === 0)
    ctx.stdout.write(`no API keys yet: create one with 'wharf cloud keys create --machine NAME'\n`);
  await signals.why;
  await app.close();
  await fleet.close();
  await store.close();
}

async function keys(
  sub: string | undefined,
  arg: string | undefined,
  v: Record<string, string | boolean | undefined>,
  ctx: CliContext,
): Promise<number> {
  const store = await openCloudStore({
    db: v.db as string | undefined,
    pg: v.pg as string | undefined,
    env: ctx.env,
    cwd: ctx.cwd,
  });
  try {
    if (sub === 'create') {
      const machine = v.machine as string | undefined;
      if ((machine === undefined) === (v['read-only'] !== true))
        throw new WharfError(
          'USAGE',
          `give exactly one of --machine NAME or --read-only\n${USAGE}`,
        );
      const { info, key } = await store.createKey(
        machine ?? null,
        (v.label as string | undefined) ?? '',
      );
      ctx.stdout.write(`${key}\n`);
      // Say which key is for what: only a machine key can upload; a read-only key reads.
      ctx.stderr.write(
        info.machine === null
          ? `read-only key ${info.id} created; it is shown only this once. It can query, run SQL and export (wharf query --key KEY, or WHARF_API_KEY for the CLI; the web UI login); it cannot upload: a gateway's wharf.sync.api_key needs a machine key (wharf cloud keys create --machine NAME)\n`
          : `key ${info.id} for machine '${info.machine}' created; it is shown only this once. It uploads that machine's data and reads nothing: put it in the gateway's wharf.sync.api_key (or WHARF_API_KEY on the gateway); to query, export or log in to the web UI, create a --read-only key\n`,
      );
      return 0;
    }
    if (sub === 'list') {
      const list = await store.listKeys();
      if (list.length === 0) ctx.stdout.write('no keys\n');
      for (const k of list) {
        ctx.stdout.write(
          `${k.id}  ${(k.machine ?? '(read-only)').padEnd(24)}  ${new Date(k.created_ms).toISOString()}  ${k.revoked_ms === null ? 'active ' : 'revoked'}  ${k.label}\n`,
        );
      }
      return 0;
    }
    if (sub === 'revoke') {
      if (arg === undefined)
        throw new WharfError(
          'USAGE',
          `give the key id to revoke (see 'wharf cloud keys list')\n${USAGE}`,
        );
      const ok = await store.revokeKey(arg);
      ctx.stdout.write(ok ? `key ${arg} revoked\n` : `no active key ${arg}\n`);
      return ok ? 0 : 1;
    }
    throw new WharfError('USAGE', USAGE);
  } finally {
    await store.close();
  }
}

export async function runExport(
  v: Record<string, string | boolean | undefined>,
  ctx: CliContext,
  filterV: Record<string, string | boolean | undefined> = v,
): Promise<number> {
  if (v.images === true) return runImageExport(v, ctx, filterV);
  const format = parseFormat(v.format ?? 'csv');
  const out = v.out as string | undefined;
  if (out === undefined)
    throw new WharfError('USAGE', `give --out FILE (formats: ${EXPORT_FORMATS.join(', ')})`);
  const client = clientFromOptions(v, ctx.env);
  const q =
    typeof v.sql === 'string'
      ? new URLSearchParams({ sql: v.sql })
      : filterToQuery(filterFromOptions(filterV));
  q.set('format', format);
  const target = path.resolve(ctx.cwd, out);
  const bar = progressBar(ctx.stderr, ctx.isTTY, 'exporting', format === 'parquet' ? 'B' : 'rows');
  const r = await client.exportTo(target, q, bar);
  bar.finish(`exported ${r.rows === null ? '' : `${r.rows} rows, `}${fmtBytes(r.bytes)} to ${out}`);
  return 0;
}

async function runImageExport(
  v: Record<string, string | boolean | undefined>,
  ctx: CliContext,
  filterV: Record<string, string | boolean | undefined>,
): Promise<number> {
  const out = v.out as string | undefined;
  if (out === undefined) throw new WharfError('USAGE', 'give --out DIR for the images');
  if (v.sql !== undefined || v.format !== undefined)
    throw new WharfError('USAGE', '--images exports by filters; --sql and --format do not apply');
  const client = clientFromOptions(v, ctx.env);
  const { kind: _kind, ...filter } = filterFromOptions({ ...filterV, kind: undefined });
  const mime = v['mime-type'];
  const { exportImages } = await import('../../cloud/images/export-images.js');
  const bar = progressBar(ctx.stderr, ctx.isTTY, 'exporting', 'images');
  const dir = path.resolve(ctx.cwd, out);
  const r = await exportImages({
    baseUrl: client.baseUrl,
    apiKey: clientKey(v, ctx.env),
    filter: typeof mime === 'string' ? { ...filter, mime_type: mime.split(',') } : filter,
    outDir: dir,
    progress: bar,
  });
  bar.finish(
    `exported ${r.images} images to ${out} (${r.fetched} fetched, ${fmtBytes(r.bytes)}; ${r.kept} already there) with images.jsonl`,
  );
  return 0;
}

const clientKey = (v: Record<string, string | boolean | undefined>, env: NodeJS.ProcessEnv) =>
  ((v.key as string | undefined) ?? env.WHARF_API_KEY)!;

export const command: CliCommand = {
  async run(args, ctx) {
    if (args[0] === 'fragments' || args[0] === 'machines' || args[0] === 'admin-key')
      return fleetCli(args, ctx);
    const { values, positionals } = parse(args, OPTIONS, USAGE);
    if (values.help === true) {
      ctx.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const [sub, a1, a2] = positionals;
    if (sub === 'serve') return serve(values, ctx);
    if (sub === 'keys') return keys(a1, a2, values, ctx);
    if (sub === 'export') return runExport(values, ctx);
    throw new WharfError('USAGE', USAGE);
  },
};
