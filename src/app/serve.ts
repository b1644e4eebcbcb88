/**
 * Run a started gateway until SIGINT/SIGTERM (or a duration), then stop it cleanly: collectors
 * stop, every record is flushed, files are finished.
 *
 * While stopping, a repeated SIGTERM is logged and ignored: coreutils `timeout`, process-group
 * kills and service managers deliver it twice, and the clean stop must still finish the files
 * (systemd's TimeoutStopSec bounds it with SIGKILL). A second Ctrl-C (SIGINT at least
 * FORCE_AFTER_MS after the first signal: a person, not a duplicate delivery) exits at once;
 * recovery finishes the files at the next start.
 */
import type { Logger } from '../shared/logger.js';
import type { Gateway } from './gateway.js';

/** A SIGINT this long after the first signal is a person pressing Ctrl-C again. */
export const FORCE_AFTER_MS = 1000;

export interface ServeOptions {
  /** Stop after this many ms (tests, CI, `--duration`). */
  durationMs?: number;
  logger: Logger;
  /** Called with the reason once stopping begins. */
  onStopping?: (why: string) => void;
}

export async function serveUntilStopped(gw: Gateway, o: ServeOptions): Promise<string> {
  const why = await new Promise<string>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const onSignal = (sig: NodeJS.Signals) => {
      cleanup();
      resolve(sig);
    };
    const cleanup = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (timer !== undefined) clearTimeout(timer);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (o.durationMs !== undefined) {
      timer = setTimeout(() => {
        cleanup();
        resolve('duration elapsed');
      }, o.durationMs);
    }
  });
  const stoppingAt = Date.now();
  o.onStopping?.(why);
  o.logger.info({ why }, 'stopping: flushing capture files');
  const again = (sig: NodeJS.Signals) => {
    if (sig === 'SIGINT' && Date.now() - stoppingAt >= FORCE_AFTER_MS) {
      o.logger.error(
        'second Ctrl-C while stopping: exiting now (recovery will finish the files at the next start)',
      );
      process.exit(130);
    }
    o.logger.warn({ signal: sig }, 'already stopping: finishing the capture files first');
  };
  process.on('SIGINT', again);
  process.on('SIGTERM', again);
  try {
    await gw.stop();
  } finally {
    process.off('SIGINT', again);
    process.off('SIGTERM', again);
  }
  return why;
}
