/**
 * The app's logger: pino, JSON lines on stderr (stdout is for what the user reads).
 *
 * Children keep their bindings here and merge them with each call's fields into one object, so a
 * key bound by `child({board})` and given again in a call (`warn({board}, …)`) appears once in the
 * line, with the call's value. (pino's own child writes its bindings and the call's fields side by
 * side: `"board":"x","board":"x"`.)
 */
import pino from 'pino';
import type { LogFn, Logger } from '../shared/logger.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

function bound(base: pino.Logger, bindings: Record<string, unknown>): Logger {
  const at = (level: Level): LogFn =>
    ((a: Record<string, unknown> | string, b?: string) => {
      if (!base.isLevelEnabled(level)) return;
      if (typeof a === 'string') base[level]({ ...bindings }, a);
      else base[level]({ ...bindings, ...a }, b);
    }) as LogFn;
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => bound(base, { ...bindings, ...more }),
  };
}

/** `dest`: where the lines go (default stderr, written synchronously). */
export function appLogger(
  level: string = process.env.WHARF_LOG_LEVEL ?? 'info',
  dest: pino.DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  const base = pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    dest,
  );
  return bound(base, {});
}
