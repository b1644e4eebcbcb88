/**
 * The gateway composition root: plan → capture dir (recovered first) → store → boards → engine,
 * plus the flush loop, the disk budget and the HTTP listener with `/metrics`.
 *
 *   const gw = await Gateway.start({ plan, logger });
 *   await gw.applyPlan(newPlan);   // live reload
 *   await gw.stop();               // collectors stop, everything flushed, files finished
 *
 * Settings that cannot change live (capture_dir, flush interval, file size/age, http) are kept from
 * the running plan with a warning saying a restart applies them.
 */
import { promises as fsp } from 'node:fs';
import { BoardRegistry, type TransportContext } from '../boards/registry.js';
import { loadTransports } from '../boards/transports.js';
import { checkLinkBudget } from '../boards/link-budget.js';
import { gatewayBroker, type GatewayBroker } from '../boards/mqtt/gateway-broker.js';
import { trackLinkStats, trackUnrouted } from '../boards/link-metrics.js';
import type { CapturePlan } from '../config/plan.js';
import type { CaptureStore } from '../capture/capture-store.js';
import { FileCaptureStore } from '../capture/file-store.js';
import { closeStoreWithin } from '../capture/close-store.js';
import { CaptureDirLock } from '../capture/dir-lock.js';
import { recoverCaptureDir, type RecoveryReport } from '../capture/recovery.js';
import { DiskBudgetRunner } from '../capture/disk-budget-runner.js';
import { CaptureEngine, type ApplySummary, type EngineOptions } from '../capture/engine.js';
import { FlushLoop, resumeTimes } from '../capture/checkpoint.js';
import { realClock, type Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { Metrics } from '../shared/metrics.js';
import { GatewayHttp } from './http.js';
import { CAMERA_FRAME_PATH, cameraFrameRoute } from './camera-serve.js';
import { registerStoreMetrics, reportRecovery } from './gateway-metrics.js';
import { LatestReadings } from '../capture/latest.js';
import { buildGatewayStatus, type GatewayStatusDoc } from './status.js';
import { GatewaySync } from '../sync/gateway-sync.js';
import { CameraCapture } from '../capture/images/camera-capture.js';
import { SensorCapture } from '../capture/sensors/sensor-capture.js';
import { cameraOf } from '../config/cameras.js';
import type { EntryOutput } from '../capture/entry-output.js';
import type { PausedEntry } from '../capture/paused.js';

export interface GatewayOptions {
  plan: CapturePlan;
  logger: Logger;
  clock?: Clock;
  /** Transport registry (default: the built-in transports the plan uses, loaded on demand). */
  registry?: BoardRegistry;
  /** Extra context transports need, merged into the default registry's context. */
  transportContext?: Partial<TransportContext>;
  /** A store to use instead of a FileCaptureStore on plan.dataManager.capture_dir. */
  store?: CaptureStore;
  engineOptions?: EngineOptions;
  /** Override plan.gateway.http (null: no listener). */
  http?: { host: string; port: number } | null;
  /** Disk budget check interval (default: plan.dataManager.disk_budget_interval_ms). */
  diskBudgetIntervalMs?: number;
  /** The capture_dir this config ran with before, when it changed (capture_dir_changed gaps). */
  previousCaptureDir?: string | null;
}

/** Settings that only apply at start. */
function frozenSettings(p: CapturePlan): string {
  const d = p.dataManager;
  return JSON.stringify([
    d.capture_dir,
    d.flush_interval_ms,
    d.maximum_capture_file_size_bytes,
    d.maximum_capture_file_age_ms,
    p.gateway.http,
  ]);
}

/** What a started gateway is made of (built by `Gateway.start`). */
interface GatewayParts {
  plan: CapturePlan;
  engine: CaptureEngine;
  store: CaptureStore;
  flushLoop: FlushLoop;
  stopBudget: () => void;
  http: GatewayHttp | undefined;
  httpUrl: string | undefined;
  recovery: RecoveryReport | undefined;
  logger: Logger;
  metrics: Metrics;
  startedAt: number;
}

export class Gateway {
  readonly metrics: Metrics;
  readonly engine: CaptureEngine;
  readonly store: CaptureStore;
  readonly http: GatewayHttp | undefined;
  readonly httpUrl: string | undefined;
  readonly recovery: RecoveryReport | undefined;
  readonly startedAt: number;
  private plan: CapturePlan;
  private readonly flushLoop: FlushLoop;
  private readonly stopBudget: () => void;
  private readonly logger: Logger;
  private stopping: Promise<void> | undefined;
  private readonly stopHooks: Array<() => Promise<void>> = [];

  private constructor(p: GatewayParts) {
    this.plan = p.plan;
    this.engine = p.engine;
    this.store = p.store;
    this.flushLoop = p.flushLoop;
    this.stopBudget = p.stopBudget;
    this.http = p.http;
    this.httpUrl = p.httpUrl;
    this.recovery = p.recovery;
    this.logger = p.logger;
    this.metrics = p.metrics;
    this.startedAt = p.startedAt;
  }

  /** The MQTT broker for mqtt:// boards (src/boards/mqtt). */
  broker: GatewayBroker | undefined;

  /** Sync of finished capture files to `wharf.sync` (src/sync). */
  sync: GatewaySync | undefined;

  /** The plan's cameras (src/capture/images). */
  cameras: CameraCapture | undefined;

  /** The plan's gateway sensors (src/capture/sensors). */
  sensors: SensorCapture | undefined;

  /** The capture dir lock, released at the end of stop(). */
  dirLock: CaptureDirLock | undefined;

  /** At a clean stop, one last sync pass of the files just finished, bounded by this time. */
  finalSyncMs = 1500;
  /** Latest reading, achieved rate and last gap per entry (for /status). */
  latest: LatestReadings | undefined;

  /** Loads the transports a plan needs (before it is applied). */
  private ensureTransports: (plan: CapturePlan) => Promise<void> = async () => undefined;

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
    try {
      return await Gateway.startLocked(o, clock, metrics, lock);
    } catch (err) {
      await lock?.release().catch(() => undefined);
      throw err;
    }
  }

  private static async startLocked(
    o: GatewayOptions,
    clock: Clock,
    metrics: Metrics,
    lock: CaptureDirLock | undefined,
  ): Promise<Gateway> {
    const { logger, plan } = o;
    const dir = plan.dataManager.capture_dir;

    let recovery: RecoveryReport | undefined;
    if (o.store === undefined) {
      recovery = await recoverCaptureDir(dir, logger);
      reportRecovery(recovery, logger, metrics);
    }
    let budget: DiskBudgetRunner | undefined;
    const store =
      o.store ??
      new FileCaptureStore({
        dir,
        settings: plan.dataManager,
        clock,
        logger: logger.child({ part: 'store' }),
        onFileFinished: () => budget?.kick(),
      });
    // Where each entry's durable data ends: the checkpoint corrected by what recovery found.
    const { entries: resume, reasons } = await resumeTimes({
      dir,
      plan,
      recovered: recovery?.recovered,
      previousCaptureDir: o.previousCaptureDir,
      clock,
      logger,
    });
    const broker = gatewayBroker(logger, metrics);
    await broker.apply(plan); // the MQTT broker, when the plan has mqtt:// boards
    trackUnrouted(metrics, broker.bus);
    const ctx: TransportContext = {
      clock,
      logger: logger.child({ part: 'boards' }),
      mqttBus: broker.bus,
      trackBoard: trackLinkStats(metrics),
      ...(o.transportContext ?? {}),
    };
    const registry = o.registry ?? new BoardRegistry();
    const ensureTransports =
      o.registry === undefined
        ? (p: CapturePlan) => loadTransports(registry, p, ctx)
        : async () => undefined;
    await ensureTransports(plan);
    const latest = new LatestReadings(store, () => clock.now());
    // cameras and gateway sensors account their own restarts (src/capture/resume-gap.ts)
    const sideResume = new Map<string, PausedEntry>();
    for (const e of plan.entries) {
      const own =
        cameraOf(plan.cameras, e) !== undefined ||
        (e.component_type === 'sensor' && plan.sensors?.some((c) => c.id === e.boardId));
      const last = resume.get(e.key);
      if (!own || last === undefined) continue;
      sideResume.set(e.key, { last, reason: reasons.get(e.key) ?? 'capture_stopped' });
      resume.delete(e.key);
    }
    const engine = new CaptureEngine({
      registry,
      sink: latest,
      clock,
      logger: logger.child({ part: 'capture' }),
      metrics,
      resume,
      resumeReasons: reasons,
      options: o.engineOptions ?? {},
    });
    let sideOutputs: () => EntryOutput[] = () => [];
    let sidePaused: () => Iterable<[string, PausedEntry]> = () => [];
    const flushLoop = new FlushLoop({
      engine,
      extraOutputs: () => sideOutputs(),
      extraPaused: () => sidePaused(),
      store,
      dir,
      clock,
      logger,
      intervalMs: plan.dataManager.flush_interval_ms,
      metrics,
    });
    // checked at start, after every finished file (onFileFinished) and every interval
    budget =
      o.store === undefined
        ? new DiskBudgetRunner({
            dir,
            settings: plan.dataManager,
            store,
            logger: logger.child({ part: 'disk-budget' }),
            clock,
            intervalMs: o.diskBudgetIntervalMs ?? plan.dataManager.disk_budget_interval_ms,
          })
        : undefined;
    budget?.start();
    const stopBudget = (): void => void budget?.stop();
    registerStoreMetrics(metrics, store);

    const httpSettings = o.http === undefined ? plan.gateway.http : o.http;
    let http: GatewayHttp | undefined;
    let httpUrl: string | undefined;
    const startedAt = clock.now();
    let gw: Gateway | undefined;
    if (httpSettings !== null) {
      http = new GatewayHttp()
        .route('/metrics', async () => ({
          type: metrics.contentType,
          body: await metrics.render(),
        }))
        .route('/healthz', () => ({ type: 'text/plain', body: 'ok\n' }))
        .route('/status', () => ({
          type: 'application/json',
          body: `${JSON.stringify(gw?.status() ?? {}, null, 2)}\n`,
        }))
        .route(
          CAMERA_FRAME_PATH,
          cameraFrameRoute({
            plan: () => gw?.plan ?? plan,
            cameras: () => gw?.cameras,
            clock,
          }),
        );
      try {
        httpUrl = await http.listen(httpSettings.host, httpSettings.port);
      } catch (err) {
        stopBudget();
        await store.close();
        throw err;
      }
    }
    gw = new Gateway({
      plan,
      engine,
      store,
      flushLoop,
      stopBudget,
      http,
      httpUrl,
      recovery,
      logger,
      metrics,
      startedAt,
    });
    gw.broker = broker;
    gw.dirLock = lock;
    gw.latest = latest;
    gw.ensureTransports = ensureTransports;
    gw.onStop(() => broker.close());
    await engine.apply(plan);
    const cameras = new CameraCapture({
      sink: store,
      clock,
      logger: logger.child({ part: 'cameras' }),
      metrics: engine.metrics,
      resume: sideResume,
      pausedElsewhere: (key) => engine.takePaused(key),
    });
    gw.cameras = cameras;
    gw.onStop(() => cameras.stop());
    await cameras.apply(plan);
    const sensors = new SensorCapture({
      sink: store,
      clock,
      logger: logger.child({ part: 'sensors' }),
      metrics: engine.metrics,
      resume: sideResume,
      pausedElsewhere: (key) => engine.takePaused(key),
    });
    gw.sensors = sensors;
    sideOutputs = () => [...cameras.outputs(), ...sensors.outputs()];
    sidePaused = () => new Map([...cameras.pausedEntries(), ...sensors.pausedEntries()]);
    gw.onStop(() => sensors.stop());
    await sensors.apply(plan);
    flushLoop.start();
    gw.sync = new GatewaySync({
      captureDir: dir,
      clock,
      logger: logger.child({ part: 'sync' }),
      metrics,
    });
    gw.sync.apply(plan);
    return gw;
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

  /** Live reload. Start-only settings keep their running values (with a warning). */
  async applyPlan(next: CapturePlan): Promise<ApplySummary> {
    for (const w of checkLinkBudget(next))
      this.logger.warn({ board: w.board }, `link budget: ${w.message}`);
    let plan = next;
    if (frozenSettings(next) !== frozenSettings(this.plan)) {
      this.logger.warn(
        { capture_dir: this.plan.dataManager.capture_dir },
        'capture_dir, flush_interval_ms, file size/age limits and wharf.http apply at the next start; keeping the running values',
      );
      plan = {
        ...next,
        gateway: { ...next.gateway, http: this.plan.gateway.http },
        dataManager: {
          ...next.dataManager,
          capture_dir: this.plan.dataManager.capture_dir,
          flush_interval_ms: this.plan.dataManager.flush_interval_ms,
          maximum_capture_file_size_bytes: this.plan.dataManager.maximum_capture_file_size_bytes,
          maximum_capture_file_age_ms: this.plan.dataManager.maximum_capture_file_age_ms,
        },
      };
    }
    this.plan = plan;
    this.sync?.apply(plan);
    await this.broker
      ?.apply(plan)
      .catch((err: unknown) =>
        this.logger.error({ err: String(err) }, 'MQTT broker update failed'),
      );
    await this.ensureTransports(plan);
    await this.cameras?.apply(plan);
    await this.sensors?.apply(plan);
    return this.engine.apply(plan);
  }

  status(): GatewayStatusDoc {
    const engineStatus = this.engine.status();
    this.latest?.retain(engineStatus.map((e) => e.key));
    return buildGatewayStatus({
      plan: this.plan,
      engineStatus,
      cameras: this.cameras?.status() ?? [],
      store: this.store.stats(),
      sync: this.sync?.status() ?? null,
      latest: this.latest,
      startedAt: this.startedAt,
      now: Date.now(),
    });
  }

  /** Stop collectors, flush everything, finish the files, close the listener. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.engine.stop();
      for (const fn of this.stopHooks.reverse())
        await fn().catch((err: unknown) =>
          this.logger.error({ err: String(err) }, 'stop hook failed'),
        );
      await this.flushLoop.stop();
      this.stopBudget();
      try {
        // bounded: a full disk must not hold a clean stop (the loss is accounted at the next start)
        await closeStoreWithin(this.store, {
          clock: realClock,
          logger: this.logger,
          withinMs: 3000,
        }).finally(() => this.sync?.stop({ finalPassMs: this.finalSyncMs }));
      } finally {
        await this.http?.close();
        await this.dirLock?.release();
      }
    })();
    return this.stopping;
  }
}
