/**
 * The gateway's sync: a SyncWorker driven by the plan (`wharf.sync` target, `sync_interval_mins`,
 * `sync_disabled`), following live reloads. Created only once a target is configured, so a
 * gateway without one writes nothing extra into its capture dir.
 */
import { syncIntervalMs } from '../config/plan.js';
import type { CapturePlan } from '../config/plan.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { openSyncTarget } from './open-target.js';
import type { SyncStatus } from './status-file.js';
import { SyncWorker, type PassResult } from './worker.js';

export class GatewaySync {
  private worker: SyncWorker | null = null;
  private key = '';

  constructor(
    private readonly o: {
      captureDir: string;
      clock: Clock;
      logger: Logger;
      metrics: Metrics;
      env?: NodeJS.ProcessEnv;
    },
  ) {}

  /** Applies the plan's sync settings (first call starts the worker when a target is set). */
  apply(plan: CapturePlan): void {
    const target = plan.gateway.sync;
    const intervalMs = syncIntervalMs(plan.dataManager);
    const disabled = plan.dataManager.sync_disabled;
    const key = JSON.stringify(target);
    if (this.worker === null) {
      if (target === null) return;
      this.worker = new SyncWorker({
        captureDir: this.o.captureDir,
        target: openSyncTarget(target, this.o.env),
        intervalMs,
        disabled,
        clock: this.o.clock,
        logger: this.o.logger,
        metrics: this.o.metrics,
      });
      this.key = key;
      this.worker.start();
      this.o.logger.info(
        { target: this.worker.status().target, interval_ms: intervalMs, disabled },
        'sync started',
      );
      return;
    }
    this.worker.configure({
      intervalMs,
      disabled,
      ...(key === this.key ? {} : { target: openSyncTarget(target, this.o.env) }),
    });
    this.key = key;
  }

  syncNow(): Promise<PassResult> | null {
    return this.worker?.syncNow() ?? null;
  }

  status(): SyncStatus | null {
    return this.worker?.status() ?? null;
  }

  /**
   * Stops the worker. With `finalPassMs`, first one more pass (bounded by that time) ships what a
   * clean stop just finished, unless sync is disabled or the target is known to be offline.
   */
  async stop(o: { finalPassMs?: number } = {}): Promise<void> {
    const w = this.worker;
    if (w === null) return;
    const st = w.status();
    if (
      o.finalPassMs !== undefined &&
      o.finalPassMs > 0 &&
      !st.disabled &&
      st.state !== 'offline'
    ) {
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        w.syncNow().then(
          (res) => res,
          () => null,
        ),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), o.finalPassMs);
        }),
      ]);
      clearTimeout(timer);
      if (r === 'timeout')
        this.o.logger.warn(
          { within_ms: o.finalPassMs },
          'stopping: the last sync did not finish in time; the rest syncs at the next start',
        );
      else if (r !== null)
        this.o.logger.info(
          { uploaded: r.uploaded, left: r.remaining, error: r.error?.message ?? null },
          'stopping: last sync done',
        );
    }
    await w.stop(); // aborts an upload still in flight: its file stays for the next start
  }
}
