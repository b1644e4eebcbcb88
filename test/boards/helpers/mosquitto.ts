/**
 * A real Mosquitto on a free loopback port, started by the test, with password file and ACL as
 * docs/boards.md recommends for external-broker mode. kill() is SIGKILL; start() again reuses the port.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool } from '../../helpers/system-tool.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(p));
    });
  });
}

export const GATEWAY_USER = { username: 'wharf-gateway', password: 'gw-pass-1' };

export class Mosquitto {
  readonly dir = mkdtempSync(join(tmpdir(), 'wharf-mosq-'));
  port = 0;
  private proc: ChildProcess | undefined;
  output = '';

  constructor(private readonly boards: { id: string; secret: string }[]) {}

  async start(): Promise<void> {
    if (this.port === 0) {
      this.port = await freePort();
      const passwd = join(this.dir, 'passwd');
      const users = [
        [GATEWAY_USER.username, GATEWAY_USER.password],
        ...this.boards.map((b) => [b.id, b.secret]),
      ];
      users.forEach(([u, p], i) =>
        execFileSync(findTool('mosquitto_passwd') ?? 'mosquitto_passwd', [
          ...(i === 0 ? ['-c'] : []),
          '-b',
          passwd,
          u!,
          p!,
        ]),
      );
      writeFileSync(
        join(this.dir, 'acl'),
        [
          `user ${GATEWAY_USER.username}`,
          'topic read wharf/+/up',
          'topic read wharf/+/status',
          'topic write wharf/+/down',
          '',
          'pattern write wharf/%u/up',
          'pattern readwrite wharf/%u/status',
          'pattern read wharf/%u/down',
          '',
        ].join('\n'),
      );
      writeFileSync(
        join(this.dir, 'mosquitto.conf'),
        [
          `listener ${this.port} 127.0.0.1`,
          'allow_anonymous false',
          `password_file ${passwd}`,
          `acl_file ${join(this.dir, 'acl')}`,
          'persistence false',
          'user root',
          '',
        ].join('\n'),
      );
      chmodSync(passwd, 0o600);
    }
    const p = spawn(
      findTool('mosquitto') ?? '/usr/sbin/mosquitto',
      ['-c', join(this.dir, 'mosquitto.conf')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    p.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.proc = p;
    const end = Date.now() + 5000;
    for (;;) {
      if (p.exitCode !== null) throw new Error(`mosquitto exited: ${this.output}`);
      const ok = await new Promise<boolean>((r) => {
        const c = createConnection(this.port, '127.0.0.1');
        c.once('connect', () => {
          c.destroy();
          r(true);
        });
        c.once('error', () => r(false));
      });
      if (ok) return;
      if (Date.now() > end)
        throw new Error(`mosquitto did not listen on ${this.port} within 5 s: ${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The broker's process id while it runs (benchmarks read its CPU time from /proc). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    const done = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await done;
  }

  async cleanup(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
