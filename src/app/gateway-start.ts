/**
 * Assembling a gateway (src/app/gateway.ts): capture dir recovered first (and the dirs a
 * capture_dir change left draining), store, resume marks, boards, engine, cameras and sensors,
 * flush loop, disk budget, HTTP listener, sync. The caller holds the capture dir lock.
 */
import { BoardRegistry, type TransportContext } from '../boards/registry.js';
import { loadTransports } from '../boards/transports.js';
import { gatewayBroker, type GatewayBroker } from '../boards/mqtt/gateway-broker.js';
import { trackLinkStats, trackUnrouted } from '../boards/link-metrics.js';
import type { CapturePlan } from '../config/plan.js';
import type { CaptureStore } from '../capture/capture-store.js';
import { FileCaptureStore } from '../capture/file-store.js';
import type { CaptureDirLock } from '../capture/dir-lock.js';
import { recoverCaptureDir, type RecoveryReport } from '../capture/recovery.js';
import { DiskBudgetRunner } from '../capture/disk-budget-runner.js';
import { CaptureEngine, type EngineOptions } from '../capture/engine.js';
import { FlushLoop } from '../capture/flush-loop.js';
import { resumeTimes } from '../capture/resume-times.js';
import { SwitchingStore } from '../capture/switching-store.js';
import { LatestReadings } from '../capture/latest.js';
import { CameraCapture } from '../capture/images/camera-capture.js';
import { SensorCapture } from '../capture/sensors/sensor-capture.js';
import type { EntryOutput } from '../capture/entry-output.js';
import type { PausedEntry } from '../capture/paused.js';
import { cameraOf } from '../config/cameras.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { GatewaySync } from '../sync/gateway-sync.js';
import { CaptureDirs } from './capture-dirs.js';
import { listenGatewayHttp } from './gateway-http.js';
import { CAMERA_FRAME_PATH, cameraFrameRoute } from './camera-serve.js';
import { registerStoreMetrics, reportRecovery } from './gateway-metrics.js';
import type { GatewayHttp } from './http.js';

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
  /**
   * The capture_dir this config ran with before, when it changed (capture_dir_changed gaps; it is
   * drained like a dir left by a live change).
   */
  previousCaptureDir?: string | null;
  /** Called after a live capture_dir change took effect (launch records it for the next start). */
  onCaptureDirChanged?: (dir: string) => Promise<void>;
  /** How often draining capture dirs are measured and dropped once empty (default 1000 ms). */
  drainCheckMs?: number;
}

/** What a started gateway is made of. */
export interface GatewayParts {
  plan: CapturePlan;
  engine: CaptureEngine;
  store: CaptureStore;
  flushLoop: FlushLoop;
  stopBudget: () => void;
  kickBudget: () => void;
  /** The current and the draining capture dirs (undefined with an injected store). */
  dirs: CaptureDirs | undefined;
  /** A file store on a capture dir (undefined with an injected store: capture_dir stays). */
  makeStore: ((dir: string) => CaptureStore) | undefined;
  clock: Clock;
  http: GatewayHttp | undefined;
  httpUrl: string | undefined;
  recovery: RecoveryReport | undefined;
  logger: Logger;
  metrics: Metrics;
  startedAt: number;
  broker: GatewayBroker;
  latest: LatestReadings;
  ensureTransports: (plan: CapturePlan) => Promise<void>;
  cameras: CameraCapture;
  sensors: SensorCapture;
  sync: GatewaySync;
  /** In the order they started (stopped in reverse). */
  stopHooks: Array<() => Promise<void>>;
}

/**
 * Builds and starts every part. `opened` learns the capture dirs as soon as they are held (so a
 * failed start releases their locks); `live.status` is what the listener's /status serves and
 * `live.plan` the running plan (the camera frame route reads it).
 */
export async function startGatewayParts(
  o: GatewayOptions,
  clock: Clock,
  metrics: Metrics,
  lock: CaptureDirLock | undefined,
  opened: (dirs: CaptureDirs) => void,
  live: { status: () => unknown; plan: () => CapturePlan | undefined },
): Promise<GatewayParts> {
  const { logger, plan } = o;
  const dir = plan.dataManager.capture_dir;

  let recovery: RecoveryReport | undefined;
  let dirs: CaptureDirs | undefined;
  let drainingRecovered: RecoveryReport['recovered'] = [];
  if (o.store === undefined) {
    recovery = await recoverCaptureDir(dir, logger);
    reportRecovery(recovery, logger, metrics);
    // the dirs a capture_dir change left with data keep draining (locked, recovered)
    const r = await CaptureDirs.open({
      dir,
      lock,
      previousCaptureDir: o.previousCaptureDir,
      logger: logger.child({ part: 'capture-dirs' }),
      clock,
      metrics,
      ...(o.drainCheckMs === undefined ? {} : { checkMs: o.drainCheckMs }),
    });
    dirs = r.dirs;
    opened(dirs);
    drainingRecovered = r.recovered;
  }
  let budget: DiskBudgetRunner | undefined;
  const makeStore = (at: string): CaptureStore =>
    new FileCaptureStore({
      dir: at,
      settings: plan.dataManager,
      clock,
      logger: logger.child({ part: 'store' }),
      onFileFinished: () => budget?.kick(),
    });
  const store = o.store ?? new SwitchingStore(makeStore(dir));
  // Where each entry's durable data ends: the checkpoint corrected by what recovery found.
  const { entries: resume, reasons } = await resumeTimes({
    dir,
    plan,
    recovered: recovery === undefined ? undefined : [...recovery.recovered, ...drainingRecovered],
    previousCaptureDir: o.previousCaptureDir,
    drainingDirs: dirs?.draining() ?? [],
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
          dirs: () => ({
            dir: dirs?.current ?? dir,
            drainingDirs: dirs?.draining() ?? [],
          }),
        })
      : undefined;
  budget?.start();
  const stopBudget = (): void => void budget?.stop();
  const kickBudget = (): void => budget?.kick();
  registerStoreMetrics(metrics, store);

  const httpSettings = o.http === undefined ? plan.gateway.http : o.http;
  let http: GatewayHttp | undefined;
  let camerasRef: CameraCapture | undefined;
  let httpUrl: string | undefined;
  const startedAt = clock.now();
  if (httpSettings !== null) {
    try {
      ({ http, url: httpUrl } = await listenGatewayHttp(httpSettings, metrics, live.status, (h) =>
        h.route(
          CAMERA_FRAME_PATH,
          cameraFrameRoute({ plan: () => live.plan() ?? plan, cameras: () => camerasRef, clock }),
        ),
      ));
    } catch (err) {
      stopBudget();
      await store.close();
      throw err;
    }
  }
  const stopHooks: Array<() => Promise<void>> = [];
  stopHooks.push(() => broker.close());
  await engine.apply(plan);
  const cameras = new CameraCapture({
    sink: store,
    clock,
    logger: logger.child({ part: 'cameras' }),
    metrics: engine.metrics,
    resume: sideResume,
    pausedElsewhere: (key) => engine.takePaused(key),
  });
  camerasRef = cameras;
  stopHooks.push(() => cameras.stop());
  await cameras.apply(plan);
  const sensors = new SensorCapture({
    sink: store,
    clock,
    logger: logger.child({ part: 'sensors' }),
    metrics: engine.metrics,
    resume: sideResume,
    pausedElsewhere: (key) => engine.takePaused(key),
  });
  sideOutputs = () => [...cameras.outputs(), ...sensors.outputs()];
  sidePaused = () => new Map([...cameras.pausedEntries(), ...sensors.pausedEntries()]);
  stopHooks.push(() => sensors.stop());
  await sensors.apply(plan);
  flushLoop.start();
  const sync = new GatewaySync({
    captureDir: dir,
    clock,
    logger: logger.child({ part: 'sync' }),
    metrics,
  });
  sync.apply(plan);
  if (dirs !== undefined) {
    for (const d of dirs.draining()) sync.drain(d);
    dirs.onDrained = (d) => sync.undrain(d);
    dirs.start();
  }
  return {
    plan,
    engine,
    store,
    flushLoop,
    stopBudget,
    kickBudget,
    dirs,
    makeStore: o.store === undefined ? makeStore : undefined,
    clock,
    http,
    httpUrl,
    recovery,
    logger,
    metrics,
    startedAt,
    broker,
    latest,
    ensureTransports,
    cameras,
    sensors,
    sync,
    stopHooks,
  };
}
