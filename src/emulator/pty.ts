/**
 * A pty pair from socat: `a` for the board end (the emulator), `b` for the gateway end. Waits a
 * bounded time for both links; `close()` kills socat.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** True when a `socat` executable is on PATH (no process is started to find out). */
export function hasSocat(env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '');
  return [...dirs, '/usr/bin', '/usr/local/bin'].some((d) => existsSync(path.join(d, 'socat')));
}

export interface PtyPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

export async function ptyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-pty-'));
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const proc: ChildProcess = spawn(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const close = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 1000))]);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline || proc.exitCode !== null) {
      await close();
      throw new Error(
        `socat did not create the pty pair within ${timeoutMs} ms: ${stderr.trim() || 'no output'}`,
      );
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { a, b, close };
}
