/**
 * The gateway's sync: a SyncWorker driven by the plan (`wharf.sync` target, `sync_interval_mins`,
 * `sync_disabled`), following live reloads. Created only once a target is configured, so a
 * gateway without one writes nothing extra into its capture dir.
 *
 * After a live `capture_dir` change the previous dir keeps a worker of its own (a drain worker,
 * same target and settings) until the gateway says it is empty (`undrain`). Drain workers keep
 * their `sync-status.json` in their own dir and stay off /metrics' sync families (those describe
 * the current dir); the gateway reports what they still hold.
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
  private captureDir: string;
  private plan: CapturePlan | null = null;
  /** Dirs draining → their worker (null while there is no target to sync to). */
  private readonly drains = new Map<string, SyncWorker | null>();

  constructor(
    private readonly o: {
      captureDir: string;
      clock: Clock;
      logger: Logger;
      metrics: Metrics;
      env?: NodeJS.ProcessEnv;
    },
  ) {
    this.captureDir = o.captureDir;
  }

  /** Applies the plan's sync settings (first call starts the worker when a target is set). */
  apply(plan: CapturePlan): void {
    this.plan = plan;
    const target = plan.gateway.sync;
    const intervalMs = syncIntervalMs(plan.dataManager);
    const disabled = plan.dataManager.sync_disabled;
    const key = JSON.stringify(target);
    const changed = key !== this.key;
    this.key = key;
    for (const [dir, w] of this.drains) {
      if (w === null) this.drains.set(dir, this.startWorker(dir, plan, true));
      else
        w.configure({
          intervalMs,
          disabled,
          ...(changed ? { target: openSyncTarget(target, this.o.env) } : {}),
        });
    }
    if (this.worker === null) {
      this.worker = this.startWorker(this.captureDir, plan, false);
      if (this.worker !== null)
        this.o.logger.info(
          { target: this.worker.status().target, interval_ms: intervalMs, disabled },
          'sync started',
        );
      return;
    }
    this.worker.configure({
      intervalMs,
      disabled,
      ...(changed ? { target: openSyncTarget(target, this.o.env) } : {}),
    });
  }

  private startWorker(dir: string, plan: CapturePlan, draining: boolean): SyncWorker | null {
    const target = plan.gateway.sync;
    if (target === null) return null;
    const w = new SyncWorker({
      captureDir: dir,
      target: openSyncTarget(target, this.o.env),
      intervalMs: syncIntervalMs(plan.dataManager),
      disabled: plan.dataManager.sync_disabled,
      clock: this.o.clock,
      logger: draining ? this.o.logger.child({ draining: dir }) : this.o.logger,
      ...(draining ? {} : { metrics: this.o.metrics }),
    });
    w.start();
    return w;
  }

  /**
   * New data goes to `dir` from now on: the worker of the previous dir stops (an upload in flight
   * is aborted; its file is sent again, and a target that has it answers already_stored) and a
   * drain worker takes that dir over; the current dir gets a worker of its own.
   */
  async switchDir(dir: string): Promise<void> {
    if (dir === this.captureDir) return;
    const prev = this.captureDir;
    this.captureDir = dir;
    const old = this.worker;
    this.worker = null;
    await old?.stop();
    await this.undrain(dir); // back to a dir that was draining: the current worker covers it
    this.drain(prev);
    if (this.plan !== null) this.apply(this.plan);
  }

  /** Keep syncing `dir` (a previous capture dir) until `undrain(dir)`. */
  drain(dir: string): void {
    if (dir === this.captureDir || this.drains.has(dir)) return;
    this.drains.set(dir, this.plan === null ? null : this.startWorker(dir, this.plan, true));
  }

  /** Stop syncing `dir` (emptied, or the current dir again). */
  async undrain(dir: string): Promise<void> {
    const w = this.drains.get(dir);
    this.drains.delete(dir);
    await w?.stop();
  }

  syncNow(): Promise<PassResult> | null {
    return this.worker?.syncNow() ?? null;
  }

  /** A pass over a draining dir now (null when it has no worker). */
  drainNow(dir: string): Promise<PassResult> | null {
    return this.drains.get(dir)?.syncNow() ?? null;
  }

  status(): SyncStatus | null {
    return this.worker?.status() ?? null;
  }

  /** The sync state of a draining dir (null: no target to sync it to). */
  drainStatus(dir: string): SyncStatus | null {
    return this.drains.get(dir)?.status() ?? null;
  }

  /**
   * Stops the workers. With `finalPassMs`, first one more pass each (bounded by that time) ships
   * what a clean stop just finished, unless sync is disabled or the target is known to be offline.
   */
  async stop(o: { finalPassMs?: number } = {}): Promise<void> {
    const drains = [...this.drains.values()];
    this.drains.clear();
    await Promise.all([
      this.stopOne(this.worker, o.finalPassMs),
      ...drains.map((w) => this.stopOne(w, o.finalPassMs)),
    ]);
  }

  private async stopOne(w: SyncWorker | null, finalPassMs: number | undefined): Promise<void> {
    if (w === null) return;
    const st = w.status();
    if (finalPassMs !== undefined && finalPassMs > 0 && !st.disabled && st.state !== 'offline') {
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        w.syncNow().then(
          (res) => res,
          () => null,
        ),
        new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), finalPassMs);
        }),
      ]);
      clearTimeout(timer);
      if (r === 'timeout')
        this.o.logger.warn(
          { within_ms: finalPassMs },
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
