/**
 * Crash harness shared by test/crash/crash.test.ts (≥ 20 kills inside `npm test`) and
 * scripts/soak-crash.ts (many more): a real child gateway (`node bin/wharf.mjs run --config …`)
 * capturing sim boards at 100 Hz is SIGKILLed at random moments and restarted; then the capture
 * dir is read back and checked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeCaptureFile,
  FINISHED_SUFFIX,
  IN_PROGRESS_SUFFIX,
} from '../../src/capture/file-format.js';
import { walkCaptureDir } from '../../src/capture/files.js';
import { prng } from '../../src/boards/sim-options.js';
import type { CaptureMeta, GapRecord, ReadingRecord } from '../../src/shared/record.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/wharf.mjs');

export interface CrashConfig {
  dir: string;
  hz: number;
  flushMs: number;
  /** Streamed batch interval of the sim board (ms). */
  batchMs: number;
}

/** One streamed entry (sim board s1) and one polled entry (sim board p1, stream=0), both at `hz`. */
export async function writeCrashConfig(c: CrashConfig): Promise<string> {
  const board = (
    name: string,
    comp: string,
    query: string,
    method: string,
    params: Record<string, string>,
  ) => ({
    name,
    address: `sim://${name}?${query}`,
    components: [
      {
        name: comp,
        type: 'board',
        attributes: { pins: [27], analogs: [{ name: 'A1', pin: '34' }] },
      },
    ],
    service_configs: [
      {
        type: 'data_manager',
        attributes: {
          capture_methods: [
            {
              name: `rdk:component:board/${comp}`,
              method,
              capture_frequency_hz: c.hz,
              additional_params: params,
            },
          ],
        },
      },
    ],
  });
  const cfg = {
    wharf: { machine: 'crash-test', part_id: 'crash-test', http: { host: '127.0.0.1', port: 0 } },
    services: [
      {
        name: 'data_manager',
        type: 'data_manager',
        attributes: { capture_dir: path.join(c.dir, 'capture'), flush_interval_ms: c.flushMs },
      },
    ],
    components: [],
    remotes: [
      board('s1', 'streamed-board', `wave=saw&period=1000&bms=${c.batchMs}`, 'Analogs', {
        reader_name: 'A1',
      }),
      board('p1', 'polled-board', 'stream=0', 'Gpio', { pin_name: '27' }),
    ],
  };
  const file = path.join(c.dir, 'gateway.json');
  await fsp.writeFile(file, JSON.stringify(cfg, null, 2));
  return file;
}

export interface Child {
  proc: ChildProcess;
  /** Resolves when the banner is printed (recovery done, capture running). */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
}

export function startGateway(configFile: string, extraArgs: string[] = []): Child {
  const proc = spawn(
    process.execPath,
    [BIN, 'run', '--config', configFile, '--log-level', 'warn', ...extraArgs],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WHARF_LOG_LEVEL: 'warn' },
    },
  );
  let out = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('wharf: capturing')) resolve();
    });
    proc.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    void exited.then(({ code, signal }) =>
      reject(
        new Error(`gateway exited (code ${code}, signal ${signal}) before it was ready:\n${out}`),
      ),
    );
  });
  ready.catch(() => undefined);
  return { proc, ready, exited, output: () => out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface KillRecord {
  /** Wall-clock ms when SIGKILL was sent. */
  at: number;
  /** Whether the gateway had printed its banner (was capturing) when killed. */
  capturing: boolean;
  /** Wall-clock ms when the banner was seen (capture running), when it was. */
  readyAt?: number;
}

export interface CycleOptions {
  configFile: string;
  captureDir: string;
  kills: number;
  seed: number;
  /** Every n-th kill lands during start-up (recovery), before the banner. 0 = never. */
  earlyEvery: number;
  /** Random delay after the banner before the kill, ms. */
  minRunMs: number;
  maxRunMs: number;
  /** Called after each restart's banner with the list of unreadable finished files (should be empty). */
  onRestart?: (i: number, unreadable: string[]) => void;
  log?: (line: string) => void;
}

export async function killCycles(o: CycleOptions): Promise<KillRecord[]> {
  const rnd = prng(o.seed);
  const kills: KillRecord[] = [];
  for (let i = 0; i < o.kills; i++) {
    const child = startGateway(o.configFile);
    const early = o.earlyEvery > 0 && i % o.earlyEvery === o.earlyEvery - 1;
    let capturing = false;
    let readyAt: number | undefined;
    void child.ready.then(
      () => {
        readyAt = Date.now();
      },
      () => undefined,
    );
    if (early) {
      // Kill during start-up: somewhere in the first ~600 ms (process start, recovery, connect).
      await Promise.race([
        sleep(100 + rnd() * 500),
        child.ready.then(
          () => undefined,
          () => undefined,
        ),
      ]);
      capturing = child.output().includes('wharf: capturing');
    } else {
      await Promise.race([
        child.ready,
        sleep(20_000).then(() =>
          Promise.reject(new Error(`gateway not ready within 20 s:\n${child.output()}`)),
        ),
      ]);
      capturing = true;
      o.onRestart?.(i, await unreadableFinishedFiles(o.captureDir));
      await sleep(o.minRunMs + rnd() * (o.maxRunMs - o.minRunMs));
    }
    const at = Date.now();
    child.proc.kill('SIGKILL');
    const ex = await child.exited;
    if (ex.signal !== 'SIGKILL')
      throw new Error(
        `gateway exited by itself (code ${ex.code}) before the kill:\n${child.output()}`,
      );
    kills.push(readyAt === undefined ? { at, capturing } : { at, capturing, readyAt });
    o.log?.(`kill ${i + 1}/${o.kills} ${capturing ? 'while capturing' : 'during start-up'}`);
  }
  return kills;
}

/** Finished files that do not decode cleanly (what sync would choke on). */
export async function unreadableFinishedFiles(captureDir: string): Promise<string[]> {
  const bad: string[] = [];
  for (const f of await walkCaptureDir(captureDir, [FINISHED_SUFFIX])) {
    try {
      const d = decodeCaptureFile(await fsp.readFile(f.path));
      if (d.torn !== null) bad.push(`${f.path}: ${d.torn.reason}`);
    } catch (err) {
      bad.push(`${f.path}: ${(err as Error).message}`);
    }
  }
  return bad;
}

export interface Stream {
  meta: CaptureMeta;
  readings: ReadingRecord[];
  gaps: GapRecord[];
}

export async function readAll(captureDir: string): Promise<{
  streams: Map<string, Stream>;
  progFiles: string[];
  failed: string[];
  unreadable: string[];
}> {
  const streams = new Map<string, Stream>();
  const unreadable: string[] = [];
  for (const f of await walkCaptureDir(captureDir, [FINISHED_SUFFIX])) {
    try {
      const d = decodeCaptureFile(await fsp.readFile(f.path));
      if (d.torn !== null) unreadable.push(`${f.path}: ${d.torn.reason}`);
      const key = `${d.header.meta.component_name}/${d.header.meta.method_name}`;
      let s = streams.get(key);
      if (s === undefined) streams.set(key, (s = { meta: d.header.meta, readings: [], gaps: [] }));
      for (const r of d.records) (r.kind === 'reading' ? s.readings : s.gaps).push(r as never);
    } catch (err) {
      unreadable.push(`${f.path}: ${(err as Error).message}`);
    }
  }
  for (const s of streams.values()) s.readings.sort((a, b) => a.time_requested - b.time_requested);
  const progFiles = (await walkCaptureDir(captureDir, [IN_PROGRESS_SUFFIX])).map((f) => f.path);
  const failed = (await walkCaptureDir(path.join(captureDir, 'failed'), [])).map((f) => f.path);
  return { streams, progFiles, failed, unreadable };
}

export interface StreamAnalysis {
  key: string;
  readings: number;
  duplicates: number;
  /** Per capturing kill: readings sampled before the kill that never reached the disk. */
  lostPerKill: number[];
  /** Holes between readings (> 1.5 periods) not covered by any gap record. */
  uncovered: { from: number; to: number; near: string[] }[];
  gapsByReason: Record<string, number>;
}

/**
 * For each stream: readings lost per kill (ticks between the last durable reading before the kill
 * and the kill), and every hole in the readings checked against the gap records (a hole must lie
 * within the union of gap spans: slack of 2 ms at the start, a period at the end, 1.5 periods between spans).
 */
export function analyse(
  streams: Map<string, Stream>,
  kills: KillRecord[],
  hz: number,
): StreamAnalysis[] {
  const period = 1000 / hz;
  const out: StreamAnalysis[] = [];
  for (const [key, s] of streams) {
    const times = s.readings.map((r) => r.time_requested);
    let duplicates = 0;
    for (let i = 1; i < times.length; i++)
      if (Math.abs(times[i]! - times[i - 1]!) < period / 10) duplicates++;
    const lostPerKill: number[] = [];
    for (const k of kills) {
      if (!k.capturing) continue;
      let lo = 0;
      let hi = times.length - 1;
      let idx = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid]! <= k.at) {
          idx = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      // Loss of this process only: from its last durable reading (or its start) to the kill.
      const since = Math.max(idx < 0 ? -Infinity : times[idx]!, k.readyAt ?? -Infinity);
      if (!Number.isFinite(since)) continue;
      lostPerKill.push(Math.max(0, Math.floor((k.at - since) / period)));
    }
    const spans = s.gaps
      .map((g) => [g.start, g.end] as [number, number])
      .sort((a, b) => a[0] - b[0]);
    const covered = (from: number, to: number): boolean => {
      // Walk the spans from `from` (the first missing tick) to `to` (the last one). Gap spans run
      // from the first to the last missing tick; two accounts of one outage (offline wait, then a
      // scheduler that starts off-grid) can sit up to a period and a bit apart: allow 1.5 periods
      // + 5 ms between spans. At the start 2 ms; at the end one period + 2 ms, because a streaming
      // board samples on its own grid, offset from the gateway's by up to a period.
      const between = 1.5 * period + 5;
      const end = 2;
      const tail = period + 2;
      let reach: number | undefined;
      for (const [a, b] of spans) {
        if (b < from - end) continue;
        if (reach === undefined) {
          if (a > from + end) return false;
          reach = b;
        } else {
          if (a > reach + between) break;
          reach = Math.max(reach, b);
        }
        if (reach >= to - tail) return true;
      }
      return reach !== undefined && reach >= to - tail;
    };
    const uncovered: { from: number; to: number; near: string[] }[] = [];
    for (let i = 1; i < times.length; i++) {
      const from = times[i - 1]!;
      const to = times[i]!;
      if (to - from > 1.5 * period && !covered(from + period, to - period)) {
        const near = s.gaps
          .filter((g) => g.end >= from - 100 && g.start <= to + 100)
          .map(
            (g) =>
              `${g.reason} ${(g.start - from).toFixed(1)}..${(g.end - from).toFixed(1)} n=${g.count}`,
          );
        uncovered.push({ from, to, near });
      }
    }
    const gapsByReason: Record<string, number> = {};
    for (const g of s.gaps) gapsByReason[g.reason] = (gapsByReason[g.reason] ?? 0) + 1;
    out.push({ key, readings: times.length, duplicates, lostPerKill, uncovered, gapsByReason });
  }
  return out;
}
