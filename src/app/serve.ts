/**
 * Run a started gateway until SIGINT/SIGTERM (or a duration), then stop it cleanly: collectors
 * stop, every record is flushed, files are finished. A second signal while stopping exits at once.
 */
import type { Logger } from '../shared/logger.js';
import type { Gateway } from './gateway.js';

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
  o.onStopping?.(why);
  o.logger.info({ why }, 'stopping: flushing capture files');
  const force = () => {
    o.logger.error(
      'second signal while stopping: exiting now (recovery will finish the files at the next start)',
    );
    process.exit(130);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  try {
    await gw.stop();
  } finally {
    process.off('SIGINT', force);
    process.off('SIGTERM', force);
  }
  return why;
}
