/**
 * Retention in `wharf cloud serve` (docs/fleet.md "Retention"): the routes that change it and the
 * enforcement loop (reading it, GET /api/v1/retention, is in every server: routes/retention.ts).
 *
 *   PUT  /api/v1/retention/:machine   {"retention_policy": {"days": N} | null}   → fleet admin key
 *   POST /api/v1/retention/enforce    run it now                                 → fleet admin key
 *
 * Enforcement runs a minute after start and then every `intervalMs` (default 1 h) on every
 * replica; on PostgreSQL one replica at a time does the work (advisory lock). Each removal is a
 * log line and counts in /metrics (`wharf_cloud_retention_removed_total`; no machine names, as
 * /metrics is public); the events stay in the store, so `wharf cloud machines retention` shows
 * what was removed, when and by which policy.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { CloudContext, CloudPlugin } from '../context.js';
import type { FleetStore } from '../fleet/contract.js';
import { MAX_RETENTION_DAYS, type RetentionEvent } from './contract.js';

const MACHINE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export interface RetentionPluginOptions {
  /** Between enforcement runs (default 1 h); 0 = never run by itself (tests, `enforce` by hand). */
  intervalMs?: number;
  /** Before the first run (default 60 s). */
  firstRunMs?: number;
  now?: () => number;
}

/** Parses `{"retention_policy": {"days": N}}` (or null to clear). */
export function policyBody(body: unknown): number | null {
  const b = body as { retention_policy?: unknown } | undefined;
  if (typeof b !== 'object' || b === null || !('retention_policy' in b))
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      'send JSON {"retention_policy": {"days": N}} (or {"retention_policy": null} to keep data for ever)',
    );
  if (b.retention_policy === null) return null;
  const days = (b.retention_policy as { days?: unknown }).days;
  if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS)
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `retention_policy.days must be a whole number of days from 1 to ${MAX_RETENTION_DAYS} (got ${JSON.stringify(days)})`,
    );
  return days;
}

export function describeEvent(e: RetentionEvent): string {
  const what = `${e.readings} readings, ${e.gaps} gap records, ${e.images} images`;
  const where = e.how === 'drop_partition' ? `dropped partition ${e.partition}` : 'deleted rows';
  return `${e.machine}: ${what} older than ${new Date(e.cutoff_ms).toISOString()} (retention_policy ${e.days} days; ${where})`;
}

export function retentionPlugin(fleet: FleetStore, opts: RetentionPluginOptions = {}): CloudPlugin {
  return async (app: FastifyInstance, ctx: CloudContext) => {
    const removed = ctx.metrics.registry.counter(
      'wharf_cloud_retention_removed_total',
      'Records and images removed by a retention policy, by what (readings, gaps, images) and how (drop_partition, delete_rows); per machine in GET /api/v1/retention',
      ['what', 'how'],
    );
    const runs = ctx.metrics.registry.counter(
      'wharf_cloud_retention_runs_total',
      'Retention enforcement runs, by outcome (ok, error)',
      ['outcome'],
    );
    const retention = ctx.store.retention;
    const now = opts.now ?? Date.now;

    const enforce = async (): Promise<RetentionEvent[]> => {
      try {
        await ctx.store.maintain?.();
        const events = await retention.enforce(now());
        for (const e of events) {
          ctx.logger.info({ retention: e }, `retention removed ${describeEvent(e)}`);
          removed.inc({ what: 'readings', how: e.how }, e.readings);
          removed.inc({ what: 'gaps', how: e.how }, e.gaps);
          removed.inc({ what: 'images', how: e.how }, e.images);
        }
        runs.inc({ outcome: 'ok' });
        return events;
      } catch (err) {
        runs.inc({ outcome: 'error' });
        ctx.logger.warn({ err: errorMessage(err) }, 'retention run failed; retried next run');
        return [];
      }
    };

    const interval = opts.intervalMs ?? 3_600_000;
    let timer: NodeJS.Timeout | null = null;
    let running: Promise<unknown> = Promise.resolve();
    const schedule = (ms: number): void => {
      timer = setTimeout(() => {
        running = enforce().finally(() => schedule(interval));
      }, ms);
      timer.unref();
    };
    if (interval > 0) schedule(opts.firstRunMs ?? 60_000);
    app.addHook('onClose', async () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      await running;
    });

    app.put('/api/v1/retention/:machine', async (req: FastifyRequest) => {
      const k = req.wharfKey!;
      if (!(await fleet.isAdmin(k.id)))
        throw new WharfError(
          'CLOUD_FORBIDDEN',
          `key ${k.id} may not change retention: use a fleet admin key ('wharf cloud admin-key create')`,
        );
      const machine = (req.params as { machine: string }).machine;
      if (!MACHINE.test(machine))
        throw new WharfError('CLOUD_BAD_REQUEST', `machine "${machine.slice(0, 80)}" is not valid`);
      const days = policyBody(req.body);
      await retention.setPolicy(machine, days, k.id);
      ctx.logger.info({ machine, days, key: k.id }, 'retention policy set');
      return { machine, retention_policy: days === null ? null : { days } };
    });

    /** Runs enforcement now (admin): what the hourly run would do, for operators and tests. */
    app.post('/api/v1/retention/enforce', async (req: FastifyRequest) => {
      const k = req.wharfKey!;
      if (!(await fleet.isAdmin(k.id)))
        throw new WharfError(
          'CLOUD_FORBIDDEN',
          `key ${k.id} may not run retention: use a fleet admin key`,
        );
      return { events: await enforce() };
    });
  };
}
