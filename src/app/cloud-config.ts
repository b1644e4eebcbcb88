/**
 * A gateway that takes its config from the cloud (`wharf run --cloud URL --machine NAME`):
 *
 *  - boot: ask the cloud for the machine's resolved config; if the cloud cannot be reached (or its
 *    config is refused here), boot from the last good config cached on disk;
 *  - follow: long-poll the cloud (`?etag=…&wait_ms=25000`; a change arrives at once; after an error,
 *    retry with backoff, i.e. polling); each new config is validated here and applied through the
 *    gateway's live reload (only collectors whose settings changed restart);
 *  - report: after each config, what happened goes back to the cloud: applied (revisions, plan
 *    hash, time) or rejected (the issues; the running plan stays).
 *
 * The cloud's config is a plain Viam machine document; the gateway adds `wharf.machine` (the
 * machine name) and, when the document has no `wharf.sync`, sync to the same cloud with the same
 * key. The cache holds the document as the cloud sent it (never the key).
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { FleetClient, type ReportBody } from '../cloud/fleet/client.js';
import type { DesiredConfig } from '../cloud/fleet/desired.js';
import {
  formatIssue,
  parseConfig,
  type CapturePlan,
  type ConfigIssue,
  type LoadResult,
} from '../config/index.js';
import { planHash } from '../config/plan-hash.js';
import { parseJsonc } from '../config/jsonc.js';
import { WharfError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { banner } from './launch.js';
import { markRateChanges } from './rate-marks.js';
import { realClock } from '../shared/clock.js';
import { Gateway, type GatewayOptions } from './gateway.js';
import { serveUntilStopped } from './serve.js';

export const LONG_POLL_MS = 25_000;

export interface CloudSource {
  url: string;
  key: string;
  machine: string;
  /** Where the last good config is kept (default $WHARF_HOME/fleet/<machine>.json). */
  cacheFile: string;
  env: NodeJS.ProcessEnv;
}

/** What is cached and what the follower tracks: a desired config the gateway accepted. */
export type CachedConfig = Pick<
  DesiredConfig,
  'machine' | 'etag' | 'config_revision' | 'fragments'
> & { config: Record<string, unknown>; saved_ms: number };

export function defaultCacheFile(env: NodeJS.ProcessEnv, machine: string): string {
  const home =
    env.WHARF_HOME !== undefined && env.WHARF_HOME !== ''
      ? env.WHARF_HOME
      : path.join(env.HOME ?? os.homedir(), '.wharf');
  return path.join(path.resolve(home), 'fleet', `${machine.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export async function readCache(file: string): Promise<CachedConfig | null> {
  try {
    const c = JSON.parse(await fsp.readFile(file, 'utf8')) as CachedConfig;
    return typeof c.etag === 'string' && typeof c.config === 'object' ? c : null;
  } catch {
    return null;
  }
}

/** Temp file, fsync, rename, fsync the directory: the cache is the old one or the new one. */
export async function writeCache(file: string, c: CachedConfig): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o600); // the config holds board secrets
  try {
    await fh.writeFile(JSON.stringify(c, null, 2));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  const dir = await fsp.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The cloud's document → a plan, with the cloud defaults (machine name, sync to this cloud). */
export function planFromCloud(config: Record<string, unknown>, src: CloudSource): LoadResult {
  const doc = structuredClone(config);
  const w =
    typeof doc.wharf === 'object' && doc.wharf !== null && !Array.isArray(doc.wharf)
      ? (doc.wharf as Record<string, unknown>)
      : {};
  doc.wharf = {
    machine: src.machine,
    ...w,
    ...(w.sync === undefined ? { sync: { url: src.url, api_key: src.key } } : {}),
  };
  return parseConfig(JSON.stringify(doc), { sourcePath: src.cacheFile, env: src.env });
}

const errorsOf = (issues: readonly ConfigIssue[]) =>
  issues
    .filter((i) => i.severity === 'error')
    .map((i) => ({ severity: i.severity, path: i.path, message: i.message }));

function rejected(
  d: Pick<DesiredConfig, 'etag' | 'config_revision' | 'fragments'>,
  error: string,
  issues: ReportBody['issues'],
  hash: string | null,
): ReportBody {
  return {
    status: 'rejected',
    etag: d.etag,
    config_revision: d.config_revision,
    fragments: d.fragments.map((f) => ({ id: f.id, revision: f.revision })),
    plan_hash: hash,
    applied_ms: Date.now(),
    error,
    issues,
  };
}

function applied(
  d: Pick<DesiredConfig, 'etag' | 'config_revision' | 'fragments'>,
  plan: CapturePlan,
): ReportBody {
  return {
    status: 'applied',
    etag: d.etag,
    config_revision: d.config_revision,
    fragments: d.fragments.map((f) => ({ id: f.id, revision: f.revision })),
    plan_hash: planHash(plan),
    applied_ms: Date.now(),
    error: null,
    issues: [],
  };
}

export interface Boot {
  plan: CapturePlan;
  config: CachedConfig;
  fromCache: boolean;
  issues: ConfigIssue[];
  /** Reports to send once the gateway runs (the boot config, a refused cloud config). */
  reports: ReportBody[];
}

/** The config to start with: the cloud's, else the cached one. Throws when there is neither. */
export async function bootConfig(
  src: CloudSource,
  client: FleetClient,
  logger: Logger,
): Promise<Boot> {
  const reports: ReportBody[] = [];
  let why = '';
  try {
    const d = await client.desired(src.machine, '', 0);
    if (d === 'unchanged') throw new Error('unexpected 204');
    if (d.config === null) {
      why = `the cloud cannot resolve the config of ${src.machine}: ${d.problems.map((p) => p.message).join('; ')}`;
      reports.push(
        rejected(
          d,
          why,
          d.problems.map((p) => ({ severity: 'error', ...p })),
          null,
        ),
      );
    } else {
      const r = planFromCloud(d.config, src);
      if (r.ok) {
        const c: CachedConfig = { ...pick(d), config: d.config, saved_ms: Date.now() };
        await writeCache(src.cacheFile, c);
        reports.push(applied(d, r.plan));
        return { plan: r.plan, config: c, fromCache: false, issues: r.issues, reports };
      }
      why = `the cloud's config (revision ${d.config_revision}) has errors`;
      reports.push(rejected(d, why, errorsOf(r.issues), null));
      for (const i of r.issues) logger.error({ path: i.path }, `cloud config: ${i.message}`);
    }
  } catch (err) {
    why = errorMessage(err);
  }
  const cached = await readCache(src.cacheFile);
  if (cached === null)
    throw new WharfError(
      'CONFIG_INVALID',
      `no config for machine ${src.machine}: ${why}; and no cached config at ${src.cacheFile} (a gateway caches the last good config after its first successful start)`,
    );
  const r = planFromCloud(cached.config, src);
  if (!r.ok)
    throw new WharfError(
      'CONFIG_INVALID',
      `the cached config at ${src.cacheFile} has errors (and ${why})`,
    );
  logger.warn(
    { cache: src.cacheFile, etag: cached.etag, config_revision: cached.config_revision },
    `booting from the cached config: ${why}`,
  );
  return { plan: r.plan, config: cached, fromCache: true, issues: r.issues, reports };
}

function pick(d: DesiredConfig): Omit<CachedConfig, 'config' | 'saved_ms'> {
  return {
    machine: d.machine,
    etag: d.etag,
    config_revision: d.config_revision,
    fragments: d.fragments,
  };
}

export interface FollowerOptions {
  src: CloudSource;
  client: FleetClient;
  gateway: Gateway;
  logger: Logger;
  /** The config running now. */
  current: CachedConfig;
  /** Reports not yet delivered. */
  pending?: ReportBody[];
  adjustPlan?: (p: CapturePlan) => CapturePlan;
  longPollMs?: number;
  /** Called after each config handled (tests, status). */
  onHandled?: (r: ReportBody) => void;
}

/** Follows the cloud until stopped: long-poll, validate, apply live, report. */
export class CloudConfigFollower {
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private pending: ReportBody[];
  current: CachedConfig;

  constructor(private readonly o: FollowerOptions) {
    this.current = o.current;
    this.pending = [...(o.pending ?? [])];
  }

  start(): this {
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
  }

  private async flushReports(): Promise<void> {
    while (this.pending.length > 0) {
      await this.o.client.report(this.o.src.machine, this.pending[0]!);
      this.pending.shift();
    }
  }

  private async run(): Promise<void> {
    const { logger, client, src } = this.o;
    let backoff = 1000;
    let down = false;
    while (!this.abort.signal.aborted) {
      try {
        await this.flushReports();
        const d = await client.desired(
          src.machine,
          this.current.etag,
          this.o.longPollMs ?? LONG_POLL_MS,
          this.abort.signal,
        );
        if (down) logger.info({ cloud: src.url }, 'cloud reachable again: following its config');
        down = false;
        backoff = 1000;
        if (d !== 'unchanged') await this.handle(d);
      } catch (err) {
        if (this.abort.signal.aborted) break;
        if (!down)
          logger.warn(
            { err: errorMessage(err), retry_ms: backoff },
            'cannot follow the cloud config; the running plan stays, retrying',
          );
        down = true;
        await sleep(backoff, this.abort.signal);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private async handle(d: DesiredConfig): Promise<void> {
    const { logger, gateway } = this.o;
    let report: ReportBody;
    if (d.config === null) {
      report = rejected(
        d,
        `the cloud cannot resolve this machine's config: ${d.problems.map((p) => p.message).join('; ')}`,
        d.problems.map((p) => ({ severity: 'error', ...p })),
        planHash(gateway.currentPlan),
      );
    } else {
      const r = planFromCloud(d.config, this.o.src);
      if (!r.ok) {
        report = rejected(
          d,
          `config revision ${d.config_revision} refused by the gateway: ${errorsOf(r.issues).length} error(s); the running plan stays`,
          errorsOf(r.issues),
          planHash(gateway.currentPlan),
        );
        for (const i of r.issues.filter((x) => x.severity === 'error'))
          logger.error({}, `cloud config refused: ${formatIssue(i, 'cloud')}`);
      } else {
        try {
          const next = this.o.adjustPlan ? this.o.adjustPlan(r.plan) : r.plan;
          markRateChanges(
            gateway.store,
            gateway.currentPlan,
            next,
            realClock.now(),
            `cloud config revision ${d.config_revision}${d.fragments.map((f) => `, ${f.id}@${f.revision}`).join('')}`,
          );
          const s = await gateway.applyPlan(next);
          const c: CachedConfig = { ...pick(d), config: d.config, saved_ms: Date.now() };
          await writeCache(this.o.src.cacheFile, c).catch((err: unknown) =>
            logger.warn({ err: errorMessage(err) }, 'writing the config cache failed'),
          );
          report = applied(d, gateway.currentPlan);
          logger.info(
            {
              config_revision: d.config_revision,
              fragments: d.fragments,
              added: s.added.length,
              changed: s.changed.length,
              removed: s.removed.length,
              plan_hash: report.plan_hash,
            },
            'cloud config applied',
          );
        } catch (err) {
          report = rejected(
            d,
            `applying the config failed: ${errorMessage(err)}`,
            [],
            planHash(gateway.currentPlan),
          );
          logger.error(
            { err: errorMessage(err) },
            'applying the cloud config failed; the running plan stays',
          );
        }
      }
    }
    // the etag moves on either way: a refused config is not retried until the cloud changes it
    this.current = { ...this.current, etag: d.etag };
    if (report.status === 'applied' && d.config !== null)
      this.current = { ...pick(d), config: d.config, saved_ms: Date.now() };
    this.pending.push(report);
    this.o.onHandled?.(report);
    await this.flushReports().catch(() => undefined); // retried at the top of the loop
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * A local file may point at the cloud instead of holding the config:
 * `{"wharf": {"cloud": {"url": "http://cloud:8080", "machine": "line-3", "api_key": "…"}}}`
 * (`api_key` optional: WHARF_API_KEY wins). Returns undefined when the file has no `wharf.cloud`.
 */
export async function cloudPointer(
  file: string,
): Promise<{ url: string; machine: string; api_key?: string; cache?: string } | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return undefined; // the normal load reports it
  }
  const r = parseJsonc(text);
  if (!r.ok) return undefined;
  const w = (r.value as { wharf?: { cloud?: unknown } } | null)?.wharf?.cloud;
  if (w === undefined) return undefined;
  const c = w as Record<string, unknown>;
  if (typeof c.url !== 'string' || typeof c.machine !== 'string')
    throw new WharfError(
      'CONFIG_INVALID',
      `${file}: wharf.cloud needs "url" and "machine" (e.g. {"url": "http://cloud:8080", "machine": "line-3"})`,
    );
  return {
    url: c.url,
    machine: c.machine,
    ...(typeof c.api_key === 'string' ? { api_key: c.api_key } : {}),
    ...(typeof c.cache === 'string' ? { cache: path.resolve(path.dirname(file), c.cache) } : {}),
  };
}

export interface CloudLaunchOptions {
  url: string;
  key: string;
  machine: string;
  cacheFile?: string;
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  logger: Logger;
  durationMs?: number;
  gateway?: Partial<Omit<GatewayOptions, 'plan' | 'logger'>>;
}

/** `wharf run --cloud URL --machine NAME`. Returns the exit code. */
export async function launchFromCloud(o: CloudLaunchOptions): Promise<number> {
  const src: CloudSource = {
    url: o.url,
    key: o.key,
    machine: o.machine,
    cacheFile: o.cacheFile ?? defaultCacheFile(o.env, o.machine),
    env: o.env,
  };
  const client = new FleetClient(o.url, o.key);
  let boot: Boot;
  try {
    boot = await bootConfig(src, client, o.logger);
  } catch (err) {
    o.stderr.write(`wharf: ${errorMessage(err)}\n`);
    return 1;
  }
  for (const i of boot.issues) o.stderr.write(`${formatIssue(i, `cloud:${o.machine}`)}\n`);
  const gw = await Gateway.start({ ...(o.gateway ?? {}), plan: boot.plan, logger: o.logger });
  if (boot.fromCache) boot.reports.push(applied(boot.config, gw.currentPlan));
  const follower = new CloudConfigFollower({
    src,
    client,
    gateway: gw,
    logger: o.logger,
    current: boot.config,
    pending: boot.reports,
  }).start();
  o.stdout.write(
    banner(gw, `cloud ${o.url} machine ${o.machine}`, [
      `  fleet:    config revision ${boot.config.config_revision}${boot.config.fragments.map((f) => `, ${f.id}@${f.revision}`).join('')}${boot.fromCache ? ' (from the cache: cloud unreachable)' : ''}; cached at ${src.cacheFile}`,
    ]),
  );
  try {
    const why = await serveUntilStopped(gw, {
      logger: o.logger,
      ...(o.durationMs === undefined ? {} : { durationMs: o.durationMs }),
      onStopping: () => void follower.stop(),
    });
    const s = gw.store.stats();
    o.stdout.write(
      `wharf: stopped (${why}); ${s.durable} records durable, ${s.filesFinished} files finished in ${gw.captureDir}\n`,
    );
  } finally {
    await follower.stop();
    await gw.stop();
  }
  return 0;
}
