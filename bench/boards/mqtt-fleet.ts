/**
 * Shared by bench/mqtt.ts and bench/peers.ts: the config of N MQTT boards (mb0 …) × R analog readers
 * at HZ, the load generator processes (bench/boards/mqtt-load.ts) that play them, and readers of the
 * gateway's Prometheus text.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const SECRET = 'bench-secret';
export const PREFIX = 'mb';

/** The `remotes` of a gateway config: `boards` MQTT boards, each one Analogs entry of `readers` at `hz`. */
export function mqttRemotes(boards: number, readers: number, hz: number): unknown[] {
  const names = Array.from({ length: readers }, (_, i) => `A${i}`);
  return Array.from({ length: boards }, (_, i) => ({
    name: `${PREFIX}${i}`,
    address: `mqtt://${PREFIX}${i}`,
    secret: SECRET,
    components: [
      {
        name: `esp${i}`,
        type: 'board',
        model: 'esp32',
        namespace: 'rdk',
        attributes: { pins: [], analogs: names.map((r, j) => ({ name: r, pin: String(j) })) },
      },
    ],
    service_configs: [
      {
        type: 'data_manager',
        attributes: {
          capture_methods: [
            {
              name: `rdk:component:board/esp${i}`,
              method: 'Analogs',
              capture_frequency_hz: hz,
              additional_params: Object.fromEntries(names.map((r) => [r, ''])),
            },
          ],
        },
      },
    ],
  }));
}

export interface LoadOptions {
  url: string;
  boards: number;
  /** Load processes the boards are spread over (default 1). */
  procs?: number;
  /** Samples per batch message, exactly (default: the firmware's batching). */
  samplesPerMessage?: number;
  /** Stream without a gateway's plan (a plain broker): readers × hz. */
  self?: { readers: number; hz: number };
  /** Pre-encoded PUBLISH packets written to the socket. */
  raw?: boolean;
}

export interface Load {
  /** Samples sent so far (last report of every process), and when that was last updated. */
  sent(): number;
  /** SIGTERM to every process; resolves with the final count of samples sent. */
  stop(): Promise<number>;
  procs: ChildProcess[];
}

/** Starts the load processes and resolves once every board of every process is connected. */
export async function startLoad(o: LoadOptions): Promise<Load> {
  const k = Math.max(1, Math.min(o.procs ?? 1, o.boards));
  const counts = new Array<number>(k).fill(0);
  const finals = new Array<boolean>(k).fill(false);
  const ready = new Array<boolean>(k).fill(false);
  const procs: ChildProcess[] = [];
  for (let j = 0; j < k; j++) {
    const first = Math.floor((o.boards * j) / k);
    const n = Math.floor((o.boards * (j + 1)) / k) - first;
    const args = ['--import', 'tsx', 'bench/boards/mqtt-load.ts', o.url, String(n), PREFIX, SECRET];
    args.push('--first', String(first));
    if (o.samplesPerMessage !== undefined) args.push('--spm', String(o.samplesPerMessage));
    if (o.self !== undefined) args.push('--self', `${o.self.readers}:${o.self.hz}`);
    if (o.raw === true) args.push('--raw');
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'ready') ready[j] = true;
        else {
          const m = JSON.parse(line) as { samples: number; final?: boolean };
          counts[j] = m.samples;
          if (m.final === true) finals[j] = true;
        }
      }
    });
    procs.push(p);
  }
  const until = Date.now() + 60_000;
  while (!ready.every(Boolean)) {
    if (Date.now() > until || procs.some((p) => p.exitCode !== null))
      throw new Error('load generator did not get ready');
    await new Promise((r) => setTimeout(r, 50));
  }
  const sum = (): number => counts.reduce((a, b) => a + b, 0);
  return {
    procs,
    sent: sum,
    stop: async () => {
      await Promise.all(
        procs.map((p) => {
          const exited = new Promise((r) => p.once('close', r));
          p.kill('SIGTERM');
          return exited;
        }),
      );
      if (!finals.every(Boolean)) throw new Error('a load process exited without its final count');
      return sum();
    },
  };
}

/** Sum of every series of a Prometheus metric. */
export function metricSum(text: string, name: string): number {
  let s = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name + '{') || line.startsWith(name + ' '))
      s += Number(line.slice(line.lastIndexOf(' ') + 1));
  return s;
}

/** Gap readings per reason counted inside the window (m0 → m1), e.g. "board_offline 3": only reasons that grew. */
export function windowedGapReasons(m0: string, m1: string): string {
  const byReason = (text: string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const l of text.split('\n')) {
      if (!l.startsWith('wharf_gap_readings_total{')) continue;
      const r = /reason="([^"]+)"/.exec(l)?.[1] ?? '?';
      m.set(r, (m.get(r) ?? 0) + Number(l.slice(l.lastIndexOf(' ') + 1)));
    }
    return m;
  };
  const before = byReason(m0);
  return [...byReason(m1)]
    .map(([r, n]) => [r, n - (before.get(r) ?? 0)] as const)
    .filter(([, d]) => d > 0)
    .map(([r, d]) => `${r} ${d}`)
    .join(', ');
}
