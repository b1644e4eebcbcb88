/**
 * Pty pairs via socat for serial tests. `a` is the gateway's end, `b` the board's end. kill() pulls
 * the "cable" (both ends vanish); start() again plugs a new pair in under the same link names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class PtyPair {
  readonly dir: string;
  readonly a: string;
  readonly b: string;
  private proc: ChildProcess | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'wharf-pty-'));
    this.a = join(this.dir, 'a');
    this.b = join(this.dir, 'b');
  }

  async start(): Promise<void> {
    const p = spawn('socat', [`pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], {
      stdio: 'ignore',
    });
    this.proc = p;
    const end = Date.now() + 5000;
    while (!(existsSync(this.a) && existsSync(this.b))) {
      if (Date.now() > end || p.exitCode !== null)
        throw new Error(`socat did not create ${this.a} and ${this.b} within 5 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** SIGKILL socat: both pty ends disappear mid-stream. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
    // socat cannot remove its links after SIGKILL; a vanished device node is what an unplug looks like.
    rmSync(this.a, { force: true });
    rmSync(this.b, { force: true });
  }

  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
