/**
 * A SIGTERM is a clean stop from the moment `wharf run` begins, not only once it serves: systemd,
 * `timeout` and test harnesses send it while the gateway is still starting, or right after the
 * banner. The process (a real child) exits 0, says it stopped, and leaves every file finished.
 * Before the handlers were installed at the start, a SIGTERM in that window was node's default:
 * killed by the signal, open files left to recovery.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FINISHED_SUFFIX } from '../../src/capture/file-format.js';
import { walkCaptureDir } from '../../src/capture/files.js';
import { StopSignals } from '../../src/app/serve.js';
import { memoryLogger } from '../../src/shared/logger.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WHARF = path.join(ROOT, 'bin/wharf.mjs');
const homes: string[] = [];
afterAll(async () => {
  for (const h of homes) await rm(h, { recursive: true, force: true });
});

/** Starts `wharf run` (or `args`) and sends SIGTERM the moment `when` first matches its output. */
async function termWhen(when: { stream: 'stdout' | 'stderr'; text: string }, args?: string[]) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'wharf-stop-'));
  homes.push(home);
  // the example as a new user runs it, on an ephemeral port (tests run side by side)
  const example = await readFile(path.join(ROOT, 'examples/sim-gateway.jsonc'), 'utf8');
  const config = path.join(home, 'gateway.jsonc');
  await writeFile(config, example.replace('"port": 8787', '"port": 0'));
  const argv = args ?? ['run', '--config', config];
  const proc = spawn(process.execPath, [WHARF, ...argv.map((a) => a.replace('$HOME', home))], {
    cwd: ROOT,
    env: { ...process.env, WHARF_HOME: home, WHARF_LOG_LEVEL: 'info' },
  });
  const out = { stdout: '', stderr: '' };
  let sentAfter: string | undefined;
  for (const s of ['stdout', 'stderr'] as const)
    proc[s].on('data', (d: Buffer) => {
      out[s] += d.toString();
      if (sentAfter === undefined && s === when.stream && out[s].includes(when.text)) {
        sentAfter = out[s];
        proc.kill('SIGTERM');
      }
    });
  const exit = await new Promise<number | string | null>((r) =>
    proc.once('exit', (code, sig) => r(code ?? sig)),
  );
  return { exit, out, sentAfter, dir: path.join(home, 'capture') };
}

describe('SIGTERM while wharf run starts', () => {
  for (const when of [
    // during Gateway.start: the first board is online, the banner not printed yet
    { stream: 'stderr', text: '"board online"' },
    // the banner's first line: the window in which the stop handlers used to be missing
    { stream: 'stdout', text: 'wharf: capturing' },
  ] as const)
    it(`exits 0 with every file finished when SIGTERM comes at ${when.text}`, async () => {
      const r = await termWhen(when);
      const all = `stdout:\n${r.out.stdout}\nstderr:\n${r.out.stderr.slice(-3000)}`;
      expect(r.sentAfter, all).toBeDefined();
      expect(r.exit, all).toBe(0);
      expect(r.out.stdout, all).toContain('wharf: stopped (SIGTERM)');
      expect(await walkCaptureDir(r.dir, ['.prog'])).toEqual([]);
      expect((await walkCaptureDir(r.dir, [FINISHED_SUFFIX])).length).toBeGreaterThan(0);
    }, 60_000);
});

describe('SIGTERM while wharf cloud serve starts', () => {
  it('exits 0 (stores closed, not killed by the signal) when SIGTERM comes right after its banner', async () => {
    const r = await termWhen({ stream: 'stdout', text: 'no API keys yet' }, [
      'cloud',
      'serve',
      '--db',
      '$HOME/cloud.db',
      '--port',
      '0',
      '--no-ui',
    ]);
    const all = `stdout:\n${r.out.stdout}\nstderr:\n${r.out.stderr.slice(-3000)}`;
    expect(r.sentAfter, all).toBeDefined();
    expect(r.exit, all).toBe(0);
  }, 60_000);
});

describe('StopSignals: what a second signal does while stopping', () => {
  /** The handler StopSignals installed for `sig` (called directly: no real signal reaches vitest). */
  const handlerOf = (sig: 'SIGINT' | 'SIGTERM') =>
    process.listeners(sig).at(-1) as (s: NodeJS.Signals) => void;

  it('the first signal stops; a repeated SIGTERM is ignored; a Ctrl-C a second later exits 130', async () => {
    let now = 1_000_000;
    const exits: number[] = [];
    const log = memoryLogger();
    const before = process.listeners('SIGTERM').length;
    const s = new StopSignals(log, 'the capture files', {
      exit: (code) => exits.push(code),
      now: () => now,
    });
    try {
      expect(process.listeners('SIGTERM').length).toBe(before + 1);
      expect(s.stopping).toBe(false);
      handlerOf('SIGTERM')('SIGTERM');
      expect(await s.why).toBe('SIGTERM');
      // a duplicate SIGTERM (timeout, process-group kill) and a quick second SIGINT: logged only
      now += 10;
      handlerOf('SIGTERM')('SIGTERM');
      handlerOf('SIGINT')('SIGINT');
      expect(exits).toEqual([]);
      expect(log.lines.filter((l) => l.msg.startsWith('already stopping')).length).toBe(2);
      // a person pressing Ctrl-C again a second later: exit now
      now += 1000;
      handlerOf('SIGINT')('SIGINT');
      expect(exits).toEqual([130]);
      expect(log.lines.at(-1)?.msg).toMatch(/^second Ctrl-C while stopping: exiting now/);
    } finally {
      s.dispose();
    }
    expect(process.listeners('SIGTERM').length).toBe(before);
  });

  it('a duration stops with its own reason unless a signal came first', async () => {
    const s = new StopSignals(memoryLogger());
    try {
      s.stopAfter(20);
      expect(await s.why).toBe('duration elapsed');
    } finally {
      s.dispose();
    }
  });
});

describe('SIGTERM while wharf run --cloud waits for the cloud', () => {
  it('stops at once, exit 0, when the cloud has not answered the boot request yet', async () => {
    // a "cloud" that accepts the connection and never answers (a hung server, a half-open link)
    const sockets: net.Socket[] = [];
    let connected!: () => void;
    const arrived = new Promise<void>((r) => (connected = r));
    const silent = net.createServer((sock) => {
      sockets.push(sock);
      connected();
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as net.AddressInfo).port;
    const home = await mkdtemp(path.join(os.tmpdir(), 'wharf-stop-cloud-'));
    homes.push(home);
    try {
      const proc = spawn(
        process.execPath,
        [WHARF, 'run', '--cloud', `http://127.0.0.1:${port}`, '--machine', 'm1'],
        { cwd: ROOT, env: { ...process.env, WHARF_HOME: home, WHARF_API_KEY: 'wharf_x_y' } },
      );
      let out = '';
      let err = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const exit = new Promise<number | string | null>((r) =>
        proc.once('exit', (code, sig) => r(code ?? sig)),
      );
      await arrived; // the boot request is in flight and will not be answered
      const sentAt = Date.now();
      proc.kill('SIGTERM');
      expect(await exit, `stdout:\n${out}\nstderr:\n${err}`).toBe(0);
      // the boot request's own timeout is 10 s: the stop did not wait for it
      expect(Date.now() - sentAt).toBeLessThan(5000);
      expect(out).toContain('wharf: stopped (SIGTERM) before the gateway started');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 60_000);
});
