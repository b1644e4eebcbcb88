/**
 * The systemd watchdog, fed by progress and not by a bare timer: a ping (WATCHDOG=1) goes out only
 * when the capture pipeline completed a flush since the last ping. A flush that hangs (a stuck
 * disk, a hung NFS mount) or a blocked event loop stops the pings, and systemd restarts the
 * service after WatchdogSec (Restart=on-failure). A flush that completes with write errors is
 * progress: those are accounted as gaps and retried, a restart would not help.
 *
 * Checked every quarter period, so a flush interval up to about half of WatchdogSec keeps it fed;
 * `wharf service install` sets WatchdogSec to at least 10 × flush_interval_ms.
 */
import type { Logger } from '../shared/logger.js';
import type { Notifier } from './sd-notify.js';

export interface ProgressWatchdogOptions {
  notifier: Pick<Notifier, 'watchdog' | 'status'>;
  /** systemd's watchdog period (WATCHDOG_USEC / 1000). */
  periodMs: number;
  /** A counter that grows with progress (completed flushes). */
  progress: () => number;
  logger: Logger;
  now?: () => number;
}

export function startProgressWatchdog(o: ProgressWatchdogOptions): { stop(): void } {
  const now = o.now ?? Date.now;
  let last = o.progress();
  let lastProgressAt = now();
  let stalled = false;
  o.notifier.watchdog(); // started right after a successful start: that is progress
  const timer = setInterval(
    () => {
      const p = o.progress();
      if (p !== last) {
        last = p;
        lastProgressAt = now();
        o.notifier.watchdog();
        if (stalled) {
          stalled = false;
          o.logger.warn('capture flushes complete again: watchdog pings resumed');
          o.notifier.status('capturing');
        }
        return;
      }
      const idle = now() - lastProgressAt;
      if (!stalled && idle > o.periodMs / 2) {
        stalled = true;
        o.logger.error(
          { stalled_ms: idle, watchdog_ms: o.periodMs },
          'no capture flush completed: withholding watchdog pings (systemd restarts the service after WatchdogSec)',
        );
        o.notifier.status(`stalled: no flush completed for ${Math.round(idle / 1000)} s`);
      }
    },
    Math.max(50, Math.floor(o.periodMs / 4)),
  );
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
