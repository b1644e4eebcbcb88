/** Runs `wharf cloud serve` in a child process (as deployed: the cloud is not the gateway's process). */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/wharf.mjs');

export interface CloudChild {
  url: string;
  key: string;
  /** CPU seconds (user + system) the cloud process has used so far (Linux /proc; NaN elsewhere). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export async function startCloudChild(
  store: { db: string } | { pg: string },
  machine = 'bench-gateway',
): Promise<CloudChild> {
  const storeArgs = 'db' in store ? ['--db', store.db] : ['--pg', store.pg];
  const { stdout } = await promisify(execFile)(process.execPath, [
    BIN,
    'cloud',
    'keys',
    'create',
    '--machine',
    machine,
    ...storeArgs,
  ]);
  const key = stdout.trim();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // e.g. BENCH_CLOUD_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' to profile the cloud
      ...(process.env.BENCH_CLOUD_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      BIN,
      'cloud',
      'serve',
      '--no-ui',
      '--port',
      '0',
      '--max-file-mb',
      '256',
      ...storeArgs,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, WHARF_LOG_LEVEL: 'warn' },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`cloud did not start: ${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving \w+ store at (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (c) => reject(new Error(`cloud exited (${c}): ${out}`)));
  });
  return {
    url,
    key,
    cpuSeconds: () => {
      try {
        // fields after the ')' of the command name: state is [0], utime [11], stime [12] (clock ticks, 100/s)
        const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(f[11]) + Number(f[12])) / 100;
      } catch {
        return Number.NaN;
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
