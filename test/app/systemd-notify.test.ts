/**
 * The gateway under systemd's notify protocol, as real child processes talking to a real unix
 * datagram socket given as NOTIFY_SOCKET: READY=1 once capturing, WATCHDOG=1 while flushes
 * complete, no WATCHDOG=1 while flushes are held stuck (resumed once they complete again),
 * STOPPING=1 on SIGTERM, and a repeated SIGTERM still ends with every file finished.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeCaptureFile } from '../../src/capture/file-format.js';
import { listFinishedFiles, listInProgressFiles } from '../../src/capture/files.js';
import { writeCrashConfig } from '../crash/crash-harness.js';
import { notifySocket, type NotifySocket } from '../helpers/notify-socket.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/wharf.mjs');
const FIXTURE = path.join(ROOT, 'test/app/fixtures/held-flush-gateway.ts');

interface Run {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitOut: (text: string, timeoutMs?: number) => Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Run {
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WHARF_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const waitOut = async (text: string, timeoutMs = 20_000) => {
    const until = Date.now() + timeoutMs;
    while (!out.includes(text)) {
      if (Date.now() > until || proc.exitCode !== null)
        throw new Error(`no '${text}' from the child within ${timeoutMs} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { proc, out: () => out, exited, waitOut };
}

let dir: string;
let sock: NotifySocket;
let child: Run | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-notify-'));
  sock = notifySocket(dir); // needs unix-dgram, a runtime dependency of wharf: fails loudly if absent
});

afterEach(async () => {
  if (child !== undefined && child.proc.exitCode === null && child.proc.signalCode === null) {
    child.proc.kill('SIGKILL');
    await child.exited;
  }
  child = undefined;
  (sock as NotifySocket | undefined)?.close(); // undefined when beforeEach failed
  await rm(dir, { recursive: true, force: true });
});

describe('systemd notify', () => {
  it('wharf run: READY=1 once capturing, WATCHDOG=1 as flushes complete, STOPPING=1 on SIGTERM; a repeated SIGTERM still finishes every file', async () => {
    const config = await writeCrashConfig({ dir, hz: 100, flushMs: 200, batchMs: 50 });
    child = run([BIN, 'run', '--config', config], {
      NOTIFY_SOCKET: sock.path,
      WATCHDOG_USEC: '2000000',
    });
    await sock.waitFor('READY=1');
    expect(child.out()).toContain('wharf: capturing'); // READY comes after the capture started
    await sock.waitFor('WATCHDOG=1', 3);
    expect(sock.messages.find((m) => m.text.includes('READY=1'))?.text).toMatch(
      /MAINPID=\d+\nSTATUS=capturing 2 entries/,
    );

    // twice at once, as coreutils `timeout` or a process-group kill delivers it
    child.proc.kill('SIGTERM');
    child.proc.kill('SIGTERM');
    await sock.waitFor('STOPPING=1');
    const ex = await child.exited;
    expect(ex, child.out()).toEqual({ code: 0, signal: null });
    expect(child.out()).toMatch(/stopped \(SIGTERM\); \d+ records durable/);

    const capture = path.join(dir, 'capture');
    expect(await listInProgressFiles(capture)).toEqual([]);
    const finished = await listFinishedFiles(capture);
    expect(finished.length).toBeGreaterThanOrEqual(2);
    let readings = 0;
    for (const f of finished) {
      const d = decodeCaptureFile(await readFile(f.path));
      expect(d.torn, f.path).toBe(null);
      readings += d.records.filter((r) => r.kind === 'reading').length;
    }
    expect(readings).toBeGreaterThan(0);
  }, 60_000);

  it('withholds WATCHDOG=1 while flushes are held stuck by the store, and resumes once they complete', async () => {
    const config = await writeCrashConfig({ dir, hz: 50, flushMs: 100, batchMs: 50 });
    const periodMs = 800;
    child = run(['--import', 'tsx', FIXTURE, config], {
      NOTIFY_SOCKET: sock.path,
      WATCHDOG_USEC: String(periodMs * 1000),
    });
    await sock.waitFor('READY=1');
    await sock.waitFor('WATCHDOG=1', 4);

    child.proc.kill('SIGUSR2');
    await child.waitOut('held');
    const atHold = sock.count('WATCHDOG=1');
    // the watchdog notices (no flush for half a period) and says so in the journal and STATUS
    await child.waitOut('withholding watchdog pings');
    await sock.waitFor(/^STATUS=stalled: no flush completed for \d+ s$/);
    // observe two more watchdog periods: systemd would have restarted the service by now
    const windowStart = Date.now();
    await new Promise((r) => setTimeout(r, 2 * periodMs));
    // one ping may belong to a flush that was already running when the hold began
    expect(sock.count('WATCHDOG=1') - atHold).toBeLessThanOrEqual(1);
    expect(sock.messages.filter((m) => m.text === 'WATCHDOG=1' && m.at >= windowStart)).toEqual([]);

    child.proc.kill('SIGUSR2');
    await child.waitOut('released');
    await sock.waitFor('WATCHDOG=1', sock.count('WATCHDOG=1') + 2);

    child.proc.kill('SIGTERM');
    await sock.waitFor('STOPPING=1');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('a SIGTERM repeated while the final flush is still running does not abort the clean stop', async () => {
    const config = await writeCrashConfig({ dir, hz: 50, flushMs: 100, batchMs: 50 });
    child = run(['--import', 'tsx', FIXTURE, config], { NOTIFY_SOCKET: sock.path });
    await sock.waitFor('READY=1');
    child.proc.kill('SIGUSR2');
    await child.waitOut('held');
    child.proc.kill('SIGTERM');
    await sock.waitFor('STOPPING=1'); // the stop now waits on the held final flush
    child.proc.kill('SIGTERM');
    await child.waitOut('already stopping');
    child.proc.kill('SIGTERM');
    expect(child.proc.exitCode).toBe(null);
    child.proc.kill('SIGUSR2'); // the disk comes back: the final flush completes
    const ex = await child.exited;
    expect(ex, child.out()).toEqual({ code: 0, signal: null });
    expect(child.out()).toMatch(/stopped \(SIGTERM\); \d+ records durable/);
  }, 60_000);
});
