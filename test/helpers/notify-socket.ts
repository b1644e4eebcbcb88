/**
 * A NOTIFY_SOCKET for tests: a real unix datagram socket (unix-dgram, the module the gateway sends
 * with) bound in a temp dir, collecting every sd_notify message a child process sends.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

interface Sock {
  on(ev: 'message', fn: (buf: Buffer) => void): void;
  on(ev: 'error', fn: (err: Error) => void): void;
  bind(p: string): void;
  close(): void;
}

export interface NotifySocket {
  path: string;
  /** Every message, in arrival order, with its arrival time. */
  messages: { at: number; text: string }[];
  /** Messages with a line equal to `line` (or matching it). */
  count(line: string | RegExp): number;
  /** Resolves when `count(line)` reaches `n` (bounded by timeoutMs). */
  waitFor(line: string | RegExp, n?: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

export function notifySocket(dir: string): NotifySocket {
  const p = path.join(dir, 'notify.sock');
  const dgram = createRequire(import.meta.url)('unix-dgram') as {
    createSocket(t: 'unix_dgram'): Sock;
  };
  const sock = dgram.createSocket('unix_dgram');
  const messages: { at: number; text: string }[] = [];
  sock.on('message', (buf) => messages.push({ at: Date.now(), text: buf.toString() }));
  sock.on('error', (err) => messages.push({ at: Date.now(), text: `SOCKET-ERROR ${err.message}` }));
  sock.bind(p);
  const count = (line: string | RegExp) =>
    messages.filter((m) =>
      m.text.split('\n').some((l) => (typeof line === 'string' ? l === line : line.test(l))),
    ).length;
  return {
    path: p,
    messages,
    count,
    async waitFor(line, n = 1, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (count(line) < n) {
        if (Date.now() > until)
          throw new Error(
            `no ${n}× '${String(line)}' on NOTIFY_SOCKET within ${timeoutMs} ms; got: ${JSON.stringify(messages.map((m) => m.text))}`,
          );
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => sock.close(),
  };
}
