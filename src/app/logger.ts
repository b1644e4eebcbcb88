/** The app's logger: pino, JSON lines on stderr (stdout is for what the user reads). */
import pino from 'pino';
import type { Logger } from '../shared/logger.js';

export function appLogger(level: string = process.env.WHARF_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: 2, sync: true }),
  );
}
