/**
 * `wharf status [--config FILE | --dir CAPTURE_DIR] [--gateway URL] [--json]`: the latest capture
 * from the running gateway's /status (per board and method: latest reading, configured and achieved
 * Hz, last error) and the sync backlog, last sync and last error from the capture directory.
 */
import path from 'node:path';
import { parse } from '../args.js';
import type { CliCommand } from '../context.js';
import { measureBacklog } from '../../sync/backlog.js';
import { resolveSyncSetup } from '../sync-setup.js';
import { readStatus } from '../../sync/status-file.js';
import { buildReport, formatReport } from '../../sync/status-report.js';
import { formatLatest, type GatewayStatusDoc } from '../../app/status.js';

/** Where the gateway's HTTP listener is: --gateway, else the config's wharf.http, else the default. */
async function gatewayUrl(
  values: { gateway?: string | undefined; config?: string | undefined },
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<string | null> {
  if (values.gateway !== undefined) return values.gateway.replace(/\/+$/, '');
  let http: { host: string; port: number } | null = { host: '127.0.0.1', port: 8787 };
  if (values.config !== undefined) {
    const { loadConfigFile } = await import('../../config/index.js');
    const r = await loadConfigFile(path.resolve(cwd, values.config), { env });
    if (r.ok) http = r.plan.gateway.http;
  }
  if (http === null) return null;
  const host = http.host === '0.0.0.0' || http.host === '::' ? '127.0.0.1' : http.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${http.port}`;
}

/** The gateway's /status, or why not (bounded: 2 s, 8 MB). */
async function fetchLatest(url: string): Promise<GatewayStatusDoc | string> {
  try {
    const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return `${url}/status answered ${res.status}`;
    const text = await res.text();
    if (text.length > 8 << 20) return `${url}/status is larger than 8 MB`;
    const doc = JSON.parse(text) as GatewayStatusDoc;
    return Array.isArray(doc.entries) ? doc : `${url}/status is not a wharf gateway status`;
  } catch (err) {
    return `no gateway answering at ${url} (${err instanceof Error ? err.message : String(err)})`;
  }
}

const USAGE = `usage: wharf status [--config FILE] [--dir CAPTURE_DIR] [--gateway URL] [--json]
  Shows the latest capture of the running gateway (its /status at --gateway, else the config's
  wharf.http, else http://127.0.0.1:8787): per board and method the latest reading and its value,
  configured and achieved Hz, last error; after a capture_dir change, the previous capture dirs
  still draining (files and bytes left, sync state) until each is empty. Then the sync backlog
  (files, bytes, age of the oldest reading), the last sync and the last error of the gateway using
  that capture directory, and warns
  when the backlog is older than 10 × the sync interval. Exit code 0, or 3 when there is a warning.`;

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
        gateway: { type: 'string' },
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
    const url = await gatewayUrl(values, ctx.env, ctx.cwd);
    const latest =
      url === null ? 'the config turns the gateway HTTP listener off' : await fetchLatest(url);
    const mine =
      typeof latest !== 'string' &&
      path.resolve(latest.capture_dir) === path.resolve(setup.captureDir);
    const draining =
      typeof latest !== 'string' &&
      (latest.draining ?? []).some((d) => path.resolve(d.dir) === path.resolve(setup.captureDir));
    if (values.json === true) {
      ctx.stdout.write(
        `${JSON.stringify({ ...report, latest: typeof latest === 'string' ? null : latest }, null, 2)}\n`,
      );
    } else {
      ctx.stdout.write(
        typeof latest === 'string'
          ? `latest capture: ${latest}\n\n`
          : `${formatLatest(latest)}${mine ? '' : draining ? `(that gateway captures into ${latest.capture_dir}; ${setup.captureDir} is a previous capture dir it drains)\n` : `(that gateway captures into ${latest.capture_dir}, not ${setup.captureDir})\n`}\n`,
      );
      ctx.stdout.write(formatReport(report));
    }
    return report.warnings.length > 0 ? 3 : 0;
  },
};
