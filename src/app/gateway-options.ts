/** What a gateway is started with (src/app/gateway.ts, assembled by gateway-start.ts). */
import type { BoardRegistry, TransportContext } from '../boards/registry.js';
import type { CapturePlan } from '../config/plan.js';
import type { CaptureStore } from '../capture/capture-store.js';
import type { EngineOptions } from '../capture/engine.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

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
