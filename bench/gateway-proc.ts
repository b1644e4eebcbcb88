/**
 * Shared by bench/start.ts and bench/wear.ts: a real `wharf run` child process on the compiled
 * build (dist/, as installed), with sim boards, sampled from /proc (RSS, bytes written to storage)
 * and its /status (readings captured).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin/wharf.mjs');

function newest(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n = Math.max(n, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return n;
}

/** Builds dist/ when it is missing or older than src/, so the bench measures compiled code. */
export function ensureBuilt(): void {
  const info = path.join(ROOT, 'dist', 'build-info.json');
  if (existsSync(info) && statSync(info).mtimeMs >= newest(path.join(ROOT, 'src'))) return;
  process.stderr.write('dist/ is stale: npm run build\n');
  const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm run build failed');
}

export interface SimGatewayConfig {
  dir: string;
  boards: number;
  readers: number;
  hz: number;
  flushMs?: number;
  fileBytes?: number;
  fileAgeMs?: number;
}

/** A config of `boards` streamed sim boards, each one Analogs entry of `readers` readers at `hz`. */
export async function writeSimConfig(c: SimGatewayConfig): Promise<string> {
  const readers = Array.from({ length: c.readers }, (_, i) => `A${i + 1}`);
  const remotes = Array.from({ length: c.boards }, (_, b) => ({
    name: `sim${b}`,
    address: `sim://sim${b}?wave=sine&period=5000&bms=100&maxhz=${Math.max(1000, c.hz)}`,
    components: [
      {
        name: `board${b}`,
        type: 'board',
        attributes: { analogs: readers.map((r, i) => ({ name: r, pin: String(32 + i) })) },
      },
    ],
    service_configs: [
      {
        type: 'data_manager',
        attributes: {
          capture_methods: [
            {
              name: `rdk:component:board/board${b}`,
              method: 'Analogs',
              capture_frequency_hz: c.hz,
              additional_params: Object.fromEntries(readers.map((r) => [r, ''])),
            },
          ],
        },
      },
    ],
  }));
  const cfg = {
    wharf: { machine: 'bench', part_id: 'bench', http: { host: '127.0.0.1', port: 0 } },
    services: [
      {
        name: 'data_manager',
        type: 'data_manager',
        attributes: {
          capture_dir: path.join(c.dir, 'capture'),
          flush_interval_ms: c.flushMs ?? 1000,
          ...(c.fileBytes === undefined ? {} : { maximum_capture_file_size_bytes: c.fileBytes }),
          ...(c.fileAgeMs === undefined ? {} : { maximum_capture_file_age_ms: c.fileAgeMs }),
        },
      },
    ],
    remotes,
  };
  const file = path.join(c.dir, 'gateway.json');
  await writeFile(file, JSON.stringify(cfg, null, 2));
  return file;
}

export interface GatewayProc {
  proc: ChildProcess;
  url: string;
  rssMb(): number;
  /** Private (anonymous) resident memory: RSS less the executable's and libraries' file pages. */
  privateMb(): number;
  /** Bytes this process caused to be written to storage (/proc/PID/io write_bytes). */
  writeBytes(): number;
  /** Readings (reader values) captured so far, from /status. */
  readings(): Promise<number>;
  stop(): Promise<number | null>;
}

/** `bin`: another build's bin/wharf.mjs (a paired before/after run), default this tree's. */
export async function startGateway(
  config: string,
  nodeArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
  bin = BIN,
): Promise<GatewayProc> {
  const proc = spawn(process.execPath, [...nodeArgs, bin, 'run', '--config', config], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WHARF_LOG_LEVEL: 'warn', ...env },
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const until = Date.now() + 30_000;
  let url: string | undefined;
  while (url === undefined) {
    url = /status: (http:\/\/127\.0\.0\.1:\d+)\/status/.exec(out)?.[1];
    if (url !== undefined) break;
    if (Date.now() > until || proc.exitCode !== null)
      throw new Error(`gateway did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = proc.pid!;
  const proc1 = (file: string, key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(
      readFileSync(`/proc/${pid}/${file}`, 'utf8'),
    );
    return Number(m?.[1] ?? NaN);
  };
  const gwUrl = url;
  return {
    proc,
    url: gwUrl,
    rssMb: () => proc1('status', 'VmRSS') / 1024,
    privateMb: () => proc1('status', 'RssAnon') / 1024,
    writeBytes: () => proc1('io', 'write_bytes'),
    readings: async () => {
      const d = (await (await fetch(`${gwUrl}/status`)).json()) as {
        entries: { readings: number; readers: string[] }[];
      };
      return d.entries.reduce((n, e) => n + e.readings * Math.max(1, e.readers.length), 0);
    },
    stop: async () => {
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
