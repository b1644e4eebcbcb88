/**
 * Booting on the cloud's config (or the cache) and following it: long-poll, validate here, apply
 * through the gateway's live reload, report applied/rejected. See src/app/cloud-config.ts.
 */
import { FleetClient, type ReportBody } from '../cloud/fleet/client.js';
import type { DesiredConfig } from '../cloud/fleet/desired.js';
import { formatIssue, type CapturePlan, type ConfigIssue } from '../config/index.js';
import { planHash } from '../config/plan-hash.js';
import { realClock } from '../shared/clock.js';
import { WharfError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import {
  LONG_POLL_MS,
  planFromCloud,
  readCache,
  writeCache,
  type CachedConfig,
  type CloudSource,
} from './cloud-cache.js';
import type { Gateway } from './gateway.js';
import { markRateChanges } from './rate-marks.js';

const errorsOf = (issues: readonly ConfigIssue[]) =>
  issues
    .filter((i) => i.severity === 'error')
    .map((i) => ({ severity: i.severity, path: i.path, message: i.message }));

export function rejected(
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

export function applied(
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
  signal?: AbortSignal,
): Promise<Boot> {
  const reports: ReportBody[] = [];
  let why = '';
  try {
    const d = await client.desired(src.machine, '', 0, signal);
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
