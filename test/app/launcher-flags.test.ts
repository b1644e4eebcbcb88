/**
 * `wharf run` runs node with the gateway's V8 flags (the systemd unit's UNIT_NODE_ARGS) however it
 * is started: bin/wharf.mjs replaces itself (process.execve: same pid) by node with the flags. Seen
 * from outside, on a real child process: /proc/PID/cmdline of the gateway that is capturing. A
 * flag the user gave stays as given; WHARF_NODE_FLAGS=0 turns it off; other commands are left
 * alone. Needs process.execve (node ≥ 22.15): on the build machine's Node 20 there is none, so the
 * flag-adding cases are skipped there and run in CI on Node 24 (scripts/ci-node.sh).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UNIT_NODE_ARGS } from '../../src/app/service-unit.js';
import { writeCrashConfig } from '../crash/crash-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/wharf.mjs');
const hasExecve = typeof (process as { execve?: unknown }).execve === 'function';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-launcher-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Starts `wharf run`, waits until it captures, returns the gateway's command line, stops it. */
async function gatewayCmdline(nodeArgs: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const config = await writeCrashConfig({ dir, hz: 10, flushMs: 200, batchMs: 50 });
  const proc = spawn(process.execPath, [...nodeArgs, BIN, 'run', '--config', config], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WHARF_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string | null>((r) =>
    proc.once('exit', (code, signal) => r(code ?? signal)),
  );
  try {
    const until = Date.now() + 30_000;
    while (!out.includes('wharf: capturing')) {
      if (Date.now() > until || proc.exitCode !== null)
        throw new Error(`the gateway did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    // the pid spawn gave: still the gateway (execve keeps it), now with the flags on its command line
    const cmdline = (await readFile(`/proc/${proc.pid}/cmdline`, 'utf8')).split('\0');
    proc.kill('SIGTERM');
    expect(await exited, `the gateway's exit after SIGTERM; its output:\n${out}`).toBe(0);
    return cmdline;
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
}

describe('the launcher gives `wharf run` the gateway node flags', () => {
  it('UNIT_NODE_ARGS are flags this node accepts', () => {
    const r = spawnSync(process.execPath, [...UNIT_NODE_ARGS, '-e', ''], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!hasExecve)(
    'node bin/wharf.mjs run … runs with them, in the same process',
    async () => {
      const cmd = await gatewayCmdline([]);
      for (const a of UNIT_NODE_ARGS) expect(cmd).toContain(a);
      expect(cmd.indexOf(UNIT_NODE_ARGS[0]!)).toBeLessThan(cmd.indexOf(BIN));
    },
  );

  it.skipIf(!hasExecve)(
    'a flag given by the user stays as given, once; the others are added',
    async () => {
      const cmd = await gatewayCmdline(['--max-semi-space-size=4']);
      expect(cmd.filter((a) => a.startsWith('--max-semi-space-size'))).toEqual([
        '--max-semi-space-size=4',
      ]);
      for (const a of UNIT_NODE_ARGS.filter((a) => !a.startsWith('--max-semi-space-size')))
        expect(cmd).toContain(a);
    },
  );

  it.skipIf(!hasExecve)('flags given in NODE_OPTIONS count as given (by name)', async () => {
    const cmd = await gatewayCmdline([], { NODE_OPTIONS: '--v8-pool-size=2' });
    expect(cmd.filter((a) => a.startsWith('--v8-pool-size'))).toEqual([]);
    expect(cmd).toContain('--max-semi-space-size=1');
  });

  it('WHARF_NODE_FLAGS=0 leaves node as started', async () => {
    const cmd = await gatewayCmdline([], { WHARF_NODE_FLAGS: '0' });
    expect(cmd.filter((a) => a.startsWith('--'))).toEqual(['--config']);
  });

  it.runIf(!hasExecve)('without process.execve (Node 20) node runs as started', async () => {
    const cmd = await gatewayCmdline([]);
    for (const a of UNIT_NODE_ARGS) expect(cmd).not.toContain(a);
  });
});
