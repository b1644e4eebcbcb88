/**
 * The gateway composition root: plan → capture dir (recovered first) → store → boards → engine,
 * plus the flush loop, the disk budget and the HTTP listener with `/metrics` (assembled in
 * gateway-start.ts).
 *
 *   const gw = await Gateway.start({ plan, logger });
 *   await gw.applyPlan(newPlan);   // live reload
 *   await gw.stop();               // collectors stop, everything flushed, files finished
 *
 * A new `capture_dir` applies live (src/app/capture-dir-switch.ts): new data goes there at once,
 * the old dir drains. Settings that cannot change live (flush interval, file size/age, http) are
 * kept from the running plan with a warning saying a restart applies them.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { checkLinkBudget } from '../boards/link-budget.js';
import type { GatewayBroker } from '../boards/mqtt/gateway-broker.js';
import type { CapturePlan } from '../config/plan.js';
import type { CaptureStore } from '../capture/capture-store.js';
import { closeStoreWithin } from '../capture/close-store.js';
import { CaptureDirLock } from '../capture/dir-lock.js';
import type { RecoveryReport } from '../capture/recovery.js';
import type { ApplySummary, CaptureEngine } from '../capture/engine.js';
import type { SwitchingStore } from '../capture/switching-store.js';
import type { LatestReadings } from '../capture/latest.js';
import type { CameraCapture } from '../capture/images/camera-capture.js';
import type { SensorCapture } from '../capture/sensors/sensor-capture.js';
import { realClock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import type { GatewaySync } from '../sync/gateway-sync.js';
import type { CaptureDirs } from './capture-dirs.js';
import { switchCaptureDir } from './capture-dir-switch.js';
import { startGatewayParts, type GatewayOptions, type GatewayParts } from './gateway-start.js';
import type { GatewayHttp } from './http.js';
import { buildGatewayStatus, type DrainingStatus, type GatewayStatusDoc } from './status.js';

export type { GatewayOptions } from './gateway-start.js';

/** Settings that only apply at start (capture_dir too when the store was injected). */
function frozenSettings(p: CapturePlan, withDir: boolean): string {
  const d = p.dataManager;
  return JSON.stringify([
    withDir ? d.capture_dir : null,
    d.flush_interval_ms,
    d.maximum_capture_file_size_bytes,
    d.maximum_capture_file_age_ms,
    p.gateway.http,
  ]);
}

export class Gateway {
  readonly metrics: Metrics;
  readonly engine: CaptureEngine;
  readonly store: CaptureStore;
  readonly http: GatewayHttp | undefined;
  readonly httpUrl: string | undefined;
  readonly recovery: RecoveryReport | undefined;
  readonly startedAt: number;
  /** The MQTT broker for mqtt:// boards (src/boards/mqtt). */
  readonly broker: GatewayBroker;
  /** Sync of finished capture files to `wharf.sync` (src/sync). */
  readonly sync: GatewaySync;
  /** The plan's cameras (src/capture/images). */
  readonly cameras: CameraCapture;
  /** The plan's gateway sensors (src/capture/sensors). */
  readonly sensors: SensorCapture;
  /** Latest reading, achieved rate and last gap per entry (for /status). */
  readonly latest: LatestReadings;
  /** At a clean stop, one last sync pass of the files just finished, bounded by this time. */
  finalSyncMs = 1500;
  private plan: CapturePlan;
  private readonly p: GatewayParts;
  private readonly logger: Logger;
  private onDirChanged: (dir: string) => Promise<void>;
  /** Plans apply one at a time (a capture_dir switch must not race another). */
  private applying: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private readonly stopHooks: Array<() => Promise<void>>;

  private constructor(p: GatewayParts, onDirChanged: GatewayOptions['onCaptureDirChanged']) {
    this.p = p;
    this.plan = p.plan;
    this.engine = p.engine;
    this.store = p.store;
    this.http = p.http;
    this.httpUrl = p.httpUrl;
    this.recovery = p.recovery;
    this.logger = p.logger;
    this.metrics = p.metrics;
    this.startedAt = p.startedAt;
    this.broker = p.broker;
    this.sync = p.sync;
    this.cameras = p.cameras;
    this.sensors = p.sensors;
    this.latest = p.latest;
    this.stopHooks = [...p.stopHooks];
    this.onDirChanged = onDirChanged ?? (async () => undefined);
  }

  static async start(o: GatewayOptions): Promise<Gateway> {
    const clock = o.clock ?? realClock;
    const { logger, plan } = o;
    const dir = plan.dataManager.capture_dir;
    // Refuse a plan its board links cannot carry (BOARD_LINK_BUDGET, with the numbers); warn above 70%.
    for (const w of checkLinkBudget(plan))
      logger.warn({ board: w.board }, `link budget: ${w.message}`);
    const metrics = new Metrics({ processMetrics: true });
    await fsp.mkdir(dir, { recursive: true });
    // one gateway per capture dir, before recovery touches any file (a crash releases it)
    const lock = o.store === undefined ? await CaptureDirLock.acquire(dir, logger) : undefined;
    let dirs: CaptureDirs | undefined;
    let gw: Gateway | undefined;
    try {
      const parts = await startGatewayParts(o, clock, metrics, lock, (d) => (dirs = d), {
        status: () => gw?.status(),
        plan: () => gw?.plan,
      });
      gw = new Gateway(parts, o.onCaptureDirChanged);
      return gw;
    } catch (err) {
      await dirs?.close().catch(() => undefined);
      await lock?.release().catch(() => undefined);
      throw err;
    }
  }

  get captureDir(): string {
    return this.plan.dataManager.capture_dir;
  }

  get currentPlan(): CapturePlan {
    return this.plan;
  }

  /** Run `fn` when the gateway stops (before the store closes). */
  onStop(fn: () => Promise<void>): void {
    this.stopHooks.push(fn);
  }

  /** Live reload (one at a time). Start-only settings keep their running values (with a warning). */
  applyPlan(next: CapturePlan): Promise<ApplySummary> {
    const run = () => this.applyNow(next);
    const p = this.applying.then(run, run);
    this.applying = p.catch(() => undefined);
    return p;
  }

  private async applyNow(next: CapturePlan): Promise<ApplySummary> {
    for (const w of checkLinkBudget(next))
      this.logger.warn({ board: w.board }, `link budget: ${w.message}`);
    const { dirs, makeStore } = this.p;
    const live = dirs !== undefined && makeStore !== undefined;
    let plan = next;
    if (frozenSettings(next, !live) !== frozenSettings(this.plan, !live)) {
      this.logger.warn(
        live ? {} : { capture_dir: this.plan.dataManager.capture_dir },
        `${live ? '' : 'capture_dir, '}flush_interval_ms, file size/age limits and wharf.http apply at the next start; keeping the running values`,
      );
      plan = {
        ...next,
        gateway: { ...next.gateway, http: this.plan.gateway.http },
        dataManager: {
          ...next.dataManager,
          capture_dir: live ? next.dataManager.capture_dir : this.plan.dataManager.capture_dir,
          flush_interval_ms: this.plan.dataManager.flush_interval_ms,
          maximum_capture_file_size_bytes: this.plan.dataManager.maximum_capture_file_size_bytes,
          maximum_capture_file_age_ms: this.plan.dataManager.maximum_capture_file_age_ms,
        },
      };
    }
    const want = plan.dataManager.capture_dir;
    if (live && path.resolve(want) !== dirs.current) {
      // refused (CONFIG_INVALID, CAPTURE_LOCKED, CAPTURE_IO): nothing changed, the plan stays
      await switchCaptureDir(
        {
          dirs,
          store: this.store as SwitchingStore,
          makeStore,
          flushLoop: this.p.flushLoop,
          sync: this.sync,
          kickBudget: this.p.kickBudget,
          clock: this.p.clock,
          logger: this.logger,
        },
        want,
      );
      await this.onDirChanged(want).catch((err: unknown) =>
        this.logger.warn({ err: errorMessage(err) }, 'recording the new capture_dir failed'),
      );
    }
    this.plan = plan;
    this.sync.apply(plan);
    await this.broker
      .apply(plan)
      .catch((err: unknown) =>
        this.logger.error({ err: String(err) }, 'MQTT broker update failed'),
      );
    await this.p.ensureTransports(plan);
    await this.cameras.apply(plan);
    await this.sensors.apply(plan);
    return this.engine.apply(plan);
  }

  status(): GatewayStatusDoc {
    const engineStatus = this.engine.status();
    this.latest.retain(engineStatus.map((e) => e.key));
    return buildGatewayStatus({
      plan: this.plan,
      engineStatus,
      cameras: this.cameras.status(),
      store: this.store.stats(),
      sync: this.sync.status(),
      latest: this.latest,
      draining: this.drainingStatus(),
      startedAt: this.startedAt,
      now: Date.now(),
    });
  }

  /** The previous capture dirs still draining, with what they hold and their sync state. */
  drainingStatus(): DrainingStatus[] {
    return (this.p.dirs?.list() ?? []).map((d) => {
      const st = this.sync.drainStatus(d.dir);
      return {
        dir: d.dir,
        since: new Date(d.since_ms).toISOString(),
        state: d.closing ? 'finishing files' : (st?.state ?? 'no sync target'),
        files: d.contents === null ? null : d.contents.files + d.contents.in_progress_files,
        bytes: d.contents?.bytes ?? null,
        failed_files: d.contents?.failed_files ?? null,
        last_sync: st?.last_sync_ms == null ? null : new Date(st.last_sync_ms).toISOString(),
        last_error: st?.last_error?.message ?? null,
      };
    });
  }

  /** Stop collectors, flush everything, finish the files, close the listener. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.applying; // a switch in progress completes first
      await this.engine.stop();
      for (const fn of this.stopHooks.reverse())
        await fn().catch((err: unknown) =>
          this.logger.error({ err: String(err) }, 'stop hook failed'),
        );
      await this.p.flushLoop.stop();
      this.p.stopBudget();
      try {
        // bounded: a full disk must not hold a clean stop (the loss is accounted at the next start)
        await closeStoreWithin(this.store, {
          clock: realClock,
          logger: this.logger,
          withinMs: 3000,
        }).finally(() => this.sync.stop({ finalPassMs: this.finalSyncMs }));
      } finally {
        await this.http?.close();
        await this.p.dirs?.close();
      }
    })();
    return this.stopping;
  }
}
