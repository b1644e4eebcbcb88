/**
 * Assembling a gateway (src/app/gateway.ts): capture dir recovered first (and the dirs a
 * capture_dir change left draining), store, resume marks (gateway-store.ts), boards
 * (gateway-boards.ts), engine, cameras and sensors (gateway-side.ts), flush loop, disk budget,
 * HTTP listener, sync. The caller holds the capture dir lock.
 */
import type { GatewayBroker } from '../boards/mqtt/gateway-broker.js';
import type { CapturePlan } from '../config/plan.js';
import type { CaptureStore } from '../capture/capture-store.js';
import type { CaptureDirLock } from '../capture/dir-lock.js';
import type { RecoveryReport } from '../capture/recovery.js';
import { DiskBudgetRunner } from '../capture/disk-budget-runner.js';
import { CaptureEngine } from '../capture/engine.js';
import { FlushLoop } from '../capture/flush-loop.js';
import { LatestReadings } from '../capture/latest.js';
import { CameraCapture } from '../capture/images/camera-capture.js';
import { SensorCapture } from '../capture/sensors/sensor-capture.js';
import type { EntryOutput } from '../capture/entry-output.js';
import type { PausedEntry } from '../capture/paused.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { GatewaySync } from '../sync/gateway-sync.js';
import type { CaptureDirs } from './capture-dirs.js';
import { listenGatewayHttp } from './gateway-http.js';
import { CAMERA_FRAME_PATH, cameraFrameRoute } from './camera-serve.js';
import { registerStoreMetrics } from './gateway-metrics.js';
import type { GatewayHttp } from './http.js';
import type { GatewayOptions } from './gateway-options.js';
import { openGatewayStore } from './gateway-store.js';
import { startGatewayBoards } from './gateway-boards.js';
import { sideCollectorOptions, takeSideResume } from './gateway-side.js';

export type { GatewayOptions } from './gateway-options.js';

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

  let budget: DiskBudgetRunner | undefined;
  const { store, makeStore, dirs, recovery, resume, reasons } = await openGatewayStore(
    o,
    clock,
    metrics,
    lock,
    opened,
    () => budget?.kick(),
  );
  const { broker, registry, ensureTransports } = await startGatewayBoards(o, clock, metrics);
  const latest = new LatestReadings(store, () => clock.now());
  // cameras and gateway sensors account their own restarts (src/capture/resume-gap.ts)
  const sideResume = takeSideResume(plan, resume, reasons);
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
  const side = { store, clock, logger, engine, resume: sideResume };
  const cameras = new CameraCapture(sideCollectorOptions('cameras', side));
  camerasRef = cameras;
  stopHooks.push(() => cameras.stop());
  await cameras.apply(plan);
  const sensors = new SensorCapture(sideCollectorOptions('sensors', side));
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
