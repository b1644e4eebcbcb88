/**
 * The receiving sides of the peer benchmark (bench/peers.ts) and how it measures them: `wharf run`
 * on MQTT boards with its embedded broker and capture files (readings counted in the files it
 * leaves), or Debian's mosquitto with mosquitto_sub writing every message to a file; CPU seconds and
 * peak RSS of their processes from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  decodeCaptureFile,
  FINISHED_SUFFIX,
  IN_PROGRESS_SUFFIX,
} from '../src/capture/file-format.js';
import { walkCaptureDir } from '../src/capture/files.js';
import { freePort, GATEWAY_USER, Mosquitto } from '../test/boards/helpers/mosquitto.js';
import { PREFIX, SECRET, mqttRemotes } from './boards/mqtt-fleet.js';
import { startGateway } from './gateway-proc.js';

/** utime + stime of a process, in seconds (/proc/PID/stat fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readProc('/proc/' + pid + '/stat');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}
/** Peak resident set (VmHWM) of a process, in MB. */
export function peakMb(pid: number): number {
  return Number(/^VmHWM:\s+(\d+)/m.exec(readProc('/proc/' + pid + '/status'))?.[1] ?? NaN) / 1024;
}
function readProc(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4096);
    return b.toString('utf8', 0, readSync(fd, b, 0, b.length, 0));
  } finally {
    closeSync(fd);
  }
}

export interface Receiver {
  url: string;
  pids: number[];
  /** Readings received so far. */
  readings(): Promise<number>;
  /** Stops the receiver; resolves with the readings it holds in the end. */
  stop(): Promise<number>;
}

export async function wharfReceiver(o: {
  dir: string;
  hz: number;
  boards: number;
  readers: number;
  /** another build's bin/wharf.mjs (default: this checkout's) */
  bin?: string;
  /** node flags, given exactly (WHARF_NODE_FLAGS=0); undefined: the launcher's */
  flags?: string[] | undefined;
  /** write V8 CPU profiles of the gateway here ('' = none) */
  profDir: string;
}): Promise<Receiver> {
  const { dir, hz, bin, flags } = o;
  const port = await freePort();
  const config = path.join(dir, 'gateway.json');
  writeFileSync(
    config,
    JSON.stringify({
      wharf: {
        machine: 'bench',
        part_id: 'bench',
        http: { host: '127.0.0.1', port: 0 },
        broker: { host: '127.0.0.1', port },
      },
      services: [
        {
          name: 'data_manager',
          type: 'data_manager',
          attributes: { capture_dir: path.join(dir, 'capture'), flush_interval_ms: 1000 },
        },
      ],
      remotes: mqttRemotes(o.boards, o.readers, hz),
    }),
  );
  const gw = await startGateway(
    config,
    [
      ...(flags ?? []),
      ...(o.profDir === '' ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(o.profDir)]),
    ],
    flags === undefined ? {} : { WHARF_NODE_FLAGS: '0' },
    bin,
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pids: [gw.proc.pid!],
    readings: () => gw.readings(),
    stop: async () => {
      await gw.stop();
      return readingsOnDisk(path.join(dir, 'capture'));
    },
  };
}

/**
 * Readings in the capture files a stopped gateway left (finished and in-progress, every frame
 * checksummed and decoded as a reader of the files would): what wharf really captured.
 */
async function readingsOnDisk(dir: string): Promise<number> {
  let n = 0;
  for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX, IN_PROGRESS_SUFFIX])) {
    const d = decodeCaptureFile(readFileSync(f.path));
    if (d.torn !== null) throw new Error(`${f.path}: torn at ${d.torn.offset} (${d.torn.reason})`);
    for (const r of d.records) if (r.kind === 'reading') n += Object.keys(r.data).length;
  }
  return n;
}

/** Counts what mosquitto_sub wrote: a line per message `{…,"v":[[…],[…]]}`, so samples = '[' − lines. */
class FileCounter {
  private fd: number;
  private buf = Buffer.alloc(1 << 20);
  private pos = 0;
  samples = 0;
  constructor(file: string) {
    this.fd = openSync(file, 'r');
  }
  poll(): number {
    for (;;) {
      const n = readSync(this.fd, this.buf, 0, this.buf.length, this.pos);
      if (n === 0) return this.samples;
      this.pos += n;
      for (let i = 0; i < n; i++) {
        const c = this.buf[i];
        if (c === 0x5b) this.samples++;
        else if (c === 0x0a) this.samples--;
      }
    }
  }
  close(): void {
    closeSync(this.fd);
  }
}

export async function peerReceiver(dir: string, n: number, readers: number): Promise<Receiver> {
  const boards = Array.from({ length: n }, (_, i) => ({ id: `${PREFIX}${i}`, secret: SECRET }));
  const mosq = new Mosquitto(boards);
  await mosq.start();
  const file = path.join(dir, 'sub.out');
  const out = openSync(file, 'w');
  const sub: ChildProcess = spawn(
    'mosquitto_sub',
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(mosq.port),
      '-u',
      GATEWAY_USER.username,
      '-P',
      GATEWAY_USER.password,
      '-t',
      'wharf/+/up',
    ],
    { stdio: ['ignore', out, 'inherit'] },
  );
  closeSync(out);
  const counter = new FileCounter(file);
  return {
    url: `mqtt://127.0.0.1:${mosq.port}`,
    pids: [mosq.pid!, sub.pid!],
    readings: () => Promise.resolve(counter.poll() * readers),
    stop: async () => {
      const exited = new Promise((r) => sub.once('exit', r));
      sub.kill('SIGTERM');
      await exited;
      const n = counter.poll() * readers;
      counter.close();
      await mosq.cleanup();
      return n;
    },
  };
}
