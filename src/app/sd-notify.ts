/**
 * systemd's service notification protocol (sd_notify(3)) for `Type=notify` units: READY=1 once the
 * gateway captures, WATCHDOG=1 while the capture pipeline makes progress (watchdog.ts decides when),
 * STOPPING=1 when the clean stop begins, STATUS=… for `systemctl status`.
 *
 * A datagram to the unix socket named by NOTIFY_SOCKET. Node has no unix datagram sockets, so this
 * uses unix-dgram (a small native addon; see docs/dependencies.md for why not sd-notify or
 * `systemd-notify`). It is loaded only when NOTIFY_SOCKET is set: without systemd this is a no-op
 * and costs nothing. Abstract socket names (`@…`) are not supported by unix-dgram; systemd uses a
 * path (/run/systemd/notify) for system and user services, and an abstract name is reported once.
 */
import { createRequire } from 'node:module';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export interface Notifier {
  /** True when messages go somewhere (NOTIFY_SOCKET set and usable). */
  readonly enabled: boolean;
  /** Watchdog period systemd expects pings within (WATCHDOG_USEC for this pid), or null. */
  readonly watchdogMs: number | null;
  ready(status?: string): void;
  watchdog(): void;
  stopping(status?: string): void;
  status(text: string): void;
  close(): void;
}

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  close(): void;
}

interface UnixDgram {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

/** The watchdog period for this process from WATCHDOG_USEC / WATCHDOG_PID, or null. */
export function watchdogPeriodMs(env: NodeJS.ProcessEnv, pid = process.pid): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid)
    return null;
  return usec / 1000;
}

const noop: Notifier = {
  enabled: false,
  watchdogMs: null,
  ready: () => undefined,
  watchdog: () => undefined,
  stopping: () => undefined,
  status: () => undefined,
  close: () => undefined,
};

/** A notifier for NOTIFY_SOCKET in `env`, or a no-op one. Never throws: failures are logged. */
export function systemdNotifier(env: NodeJS.ProcessEnv, logger: Logger): Notifier {
  const socketPath = env.NOTIFY_SOCKET;
  if (socketPath === undefined || socketPath === '') return noop;
  if (socketPath.startsWith('@')) {
    logger.error(
      { NOTIFY_SOCKET: socketPath },
      'NOTIFY_SOCKET is an abstract socket name, which wharf cannot send to: systemd will not see READY=1',
    );
    return noop;
  }
  let sock: DgramSocket;
  try {
    const dgram = createRequire(import.meta.url)('unix-dgram') as UnixDgram;
    sock = dgram.createSocket('unix_dgram');
  } catch (err) {
    logger.error(
      { err: errorMessage(err) },
      'cannot load unix-dgram to notify systemd (reinstall wharf so the native module builds)',
    );
    return noop;
  }
  sock.on('error', (err) => logger.warn({ err: errorMessage(err) }, 'systemd notify socket error'));
  let closed = false;
  let warned = false;
  const send = (msg: string): void => {
    if (closed) return;
    const buf = Buffer.from(msg);
    sock.send(buf, 0, buf.length, socketPath, (err) => {
      if (err !== undefined && err !== null && !warned) {
        warned = true; // once: a watchdog ping every few seconds must not flood the journal
        logger.warn({ err: errorMessage(err), msg }, 'sending to NOTIFY_SOCKET failed');
      }
    });
  };
  const line = (s: string): string => s.replace(/\n/g, ' ');
  return {
    enabled: true,
    watchdogMs: watchdogPeriodMs(env),
    ready: (status) =>
      send(`READY=1\nMAINPID=${process.pid}${status ? `\nSTATUS=${line(status)}` : ''}`),
    watchdog: () => send('WATCHDOG=1'),
    stopping: (status) => send(`STOPPING=1${status ? `\nSTATUS=${line(status)}` : ''}`),
    status: (text) => send(`STATUS=${line(text)}`),
    close: () => {
      if (closed) return;
      closed = true;
      try {
        sock.close();
      } catch {
        // already closed
      }
    },
  };
}
