/**
 * The gateway's capture store, assembled at start (gateway-start.ts): the capture dir recovered,
 * the dirs a capture_dir change left draining opened (locked, recovered), the file store behind a
 * `SwitchingStore` (or an injected store), and where each entry's durable data ends — the
 * checkpoint corrected by what recovery found.
 */
import type { CaptureStore } from '../capture/capture-store.js';
import type { CaptureDirLock } from '../capture/dir-lock.js';
import { FileCaptureStore } from '../capture/file-store.js';
import { recoverCaptureDir, type RecoveryReport } from '../capture/recovery.js';
import { resumeTimes } from '../capture/resume-times.js';
import { SwitchingStore } from '../capture/switching-store.js';
import type { PauseReason } from '../capture/paused.js';
import type { Clock } from '../shared/clock.js';
import type { Metrics } from '../shared/metrics.js';
import { CaptureDirs } from './capture-dirs.js';
import { reportRecovery } from './gateway-metrics.js';
import type { GatewayOptions } from './gateway-options.js';

export interface GatewayStore {
  store: CaptureStore;
  /** A file store on a capture dir (also for an injected store, where the caller ignores it). */
  makeStore: (dir: string) => CaptureStore;
  /** The current and the draining capture dirs (undefined with an injected store). */
  dirs: CaptureDirs | undefined;
  recovery: RecoveryReport | undefined;
  /** Entry key → last durable instant, and why capture stopped there. */
  resume: Map<string, number>;
  reasons: Map<string, PauseReason>;
}

/**
 * `opened` learns the capture dirs as soon as they are held (so a failed start releases their
 * locks); `onFileFinished` runs after each finished file (the disk budget checks then).
 */
export async function openGatewayStore(
  o: GatewayOptions,
  clock: Clock,
  metrics: Metrics,
  lock: CaptureDirLock | undefined,
  opened: (dirs: CaptureDirs) => void,
  onFileFinished: () => void,
): Promise<GatewayStore> {
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
  const makeStore = (at: string): CaptureStore =>
    new FileCaptureStore({
      dir: at,
      settings: plan.dataManager,
      clock,
      logger: logger.child({ part: 'store' }),
      onFileFinished,
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
  return { store, makeStore, dirs, recovery, resume, reasons };
}
