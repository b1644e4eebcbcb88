/**
 * Upload a built bundle with the `espruino` npm CLI and save it to flash (SAVE_ON_SEND=1, it runs
 * at boot). A board already running the agent has its console on LoopbackA, so the port is first
 * asked to hand the console back (`{"t":"repl"}`). Bounded in time; the errors say what to check.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import net from 'node:net';
import { SerialPort } from 'serialport';
import { WharfError } from '../../src/shared/errors.js';

export interface FlashOptions {
  /** /dev/ttyUSB0, or tcp://host:port for a board behind a serial-to-TCP bridge */
  port?: string;
  baud?: number;
  file: string;
  /** Write what would be sent to `out` instead of talking to a board. */
  dryRun?: boolean;
  out?: string;
  timeoutMs?: number;
  /** Progress lines for the user. */
  progress?: (line: string) => void;
}

export interface FlashResult {
  /** espruino CLI output (never contains secrets: it does not echo the code). */
  output: string;
  out?: string;
}

function espruinoCli(): string {
  try {
    return createRequire(import.meta.url).resolve('espruino/bin/espruino-cli.js');
  } catch {
    throw new WharfError(
      'FIRMWARE_FLASH',
      "the 'espruino' CLI is not installed: run `npm install` in the wharf checkout (it is a devDependency), or `npm install -g espruino`",
    );
  }
}

function run(
  args: string[],
  timeoutMs: number,
  progress: (l: string) => void,
): Promise<{ output: string; timedOut: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [espruinoCli(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (d: Buffer) => {
      const text = d.toString();
      output += text;
      for (const line of text.split('\n')) if (line.trim()) progress(line.trimEnd());
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ output, timedOut, code });
    });
  });
}

/** A byte pipe to the board: the serial device, or a serial-to-TCP bridge (tcp://host:port). */
interface Pipe {
  write(s: string): void;
  onData(fn: (s: string) => void): void;
  close(): Promise<void>;
}

async function openPipe(where: string, baud: number): Promise<Pipe> {
  if (where.startsWith('tcp://')) {
    const u = new URL(where);
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host: u.hostname, port: Number(u.port || 23) }, () => resolve(s));
      s.once('error', reject);
      s.setTimeout(3000, () => s.destroy(new Error('connect timed out')));
    }).catch((err: Error) => {
      throw new WharfError(
        'FIRMWARE_FLASH',
        `cannot connect to ${where}: ${err.message}. Is the serial-to-TCP bridge running?`,
      );
    });
    sock.setTimeout(0);
    return {
      write: (s) => void sock.write(s),
      onData: (fn) => void sock.on('data', (d) => fn(d.toString('latin1'))),
      close: () => new Promise<void>((r) => sock.end(() => r())),
    };
  }
  const port = new SerialPort({ path: where, baudRate: baud, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  } catch (err) {
    throw new WharfError(
      'FIRMWARE_FLASH',
      `cannot open ${where}: ${(err as Error).message}. Is another program (a running gateway, a serial monitor) holding the port?`,
    );
  }
  return {
    write: (s) => void port.write(s),
    onData: (fn) => void port.on('data', (d: Buffer) => fn(d.toString('latin1'))),
    close: () => new Promise<void>((r) => port.close(() => r())),
  };
}

/** Best effort: a board running the agent gives its console back; a fresh Espruino ignores it. */
async function releaseConsole(where: string, baud: number): Promise<boolean> {
  const pipe = await openPipe(where, baud);
  let seen = '';
  pipe.onData((d) => (seen += d));
  pipe.write('\n{"t":"repl","id":1}\n');
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline && !/"t":"ok","id":1/.test(seen))
    await new Promise((r) => setTimeout(r, 50));
  // let the agent finish handing over before the espruino CLI connects
  await new Promise((r) => setTimeout(r, 200));
  await pipe.close();
  return /"t":"ok","id":1/.test(seen);
}

export async function flashFirmware(o: FlashOptions): Promise<FlashResult> {
  const progress = o.progress ?? (() => undefined);
  const timeoutMs = o.timeoutMs ?? 60_000;
  if (!existsSync(o.file))
    throw new WharfError(
      'FIRMWARE_FLASH',
      `no firmware bundle at ${o.file}: run \`wharf firmware build\` first`,
    );
  const code = await readFile(o.file, 'utf8');
  const common = ['--no-ble', '--config', 'SAVE_ON_SEND=1'];
  if (o.dryRun) {
    if (!o.out)
      throw new WharfError(
        'USAGE',
        '--dry-run needs --out FILE (where to write what would be sent)',
      );
    const outDir = path.dirname(path.resolve(o.out));
    if (!existsSync(outDir))
      throw new WharfError(
        'USAGE',
        `--out ${o.out}: the directory ${outDir} does not exist; create it or write elsewhere`,
      );
    // The espruino CLI takes only a .js name for -o (anything else is a stack trace): it writes
    // into a temporary .js file, which is then moved to the name the user asked for.
    const tmpDir = await mkdtemp(path.join(tmpdir(), 'wharf-flash-'));
    const tmpOut = path.join(tmpDir, 'sent.js');
    try {
      const r = await run([...common, '-n', '-o', tmpOut, o.file], timeoutMs, progress);
      if (r.timedOut || !existsSync(tmpOut)) {
        const why = r.timedOut
          ? `it did not finish within ${Math.round(timeoutMs / 1000)} s`
          : (/Error: (.*)/.exec(r.output)?.[1] ?? r.output.trim().split('\n')[0] ?? 'no output');
        throw new WharfError('FIRMWARE_FLASH', `the espruino CLI did not write ${o.out}: ${why}`);
      }
      await copyFile(tmpOut, o.out);
      return { output: r.output, out: o.out };
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
  }
  if (!o.port)
    throw new WharfError('USAGE', 'flash needs --port /dev/ttyUSB0 (or --dry-run --out FILE)');
  const baud = o.baud ?? 115200;
  const tcp = o.port.startsWith('tcp://');
  if (!tcp && !existsSync(o.port)) {
    throw new WharfError(
      'FIRMWARE_FLASH',
      `no serial port ${o.port}: is the board plugged in? Look for it with \`ls /dev/ttyUSB* /dev/ttyACM*\` (and check you are in the dialout group)`,
    );
  }
  progress(`asking the agent on ${o.port} to hand its console back…`);
  const released = await releaseConsole(o.port, baud);
  progress(
    released
      ? 'agent released the console'
      : 'no agent answered (fresh Espruino or another firmware): uploading anyway',
  );
  progress(
    `uploading ${o.file} (${Buffer.byteLength(code)} bytes) to ${o.port} at ${baud} baud, saving to flash…`,
  );
  const r = await run([...common, '-p', o.port, '-b', String(baud), o.file], timeoutMs, progress);
  if (r.timedOut) {
    throw new WharfError(
      'FIRMWARE_FLASH',
      `no board answered on ${o.port} within ${Math.round(timeoutMs / 1000)} s: check the baud rate (--baud, Espruino on ESP32 uses 115200), that Espruino is on the board (esptool write_flash, see docs/firmware.md) and that nothing else has the port open`,
    );
  }
  if (/No result found for "process.env"|Unable to retrieve board information/.test(r.output)) {
    throw new WharfError(
      'FIRMWARE_FLASH',
      `no Espruino answered on ${o.port}: the port opened but nothing replied to the REPL. Check the baud rate (--baud, 115200 on ESP32), that Espruino is on the board (esptool write_flash, see docs/firmware.md), and power-cycle the board`,
    );
  }
  if (/Unable to connect|Connection Failed|Port "[^"]*" not found/i.test(r.output)) {
    throw new WharfError(
      'FIRMWARE_FLASH',
      `the espruino CLI could not reach a board on ${o.port}:\n${r.output.trim()}\nIs it the right port, and is the board powered?`,
    );
  }
  if (/Module \S+ not found/.test(r.output)) {
    throw new WharfError(
      'FIRMWARE_FLASH',
      `the espruino CLI could not inline a module (it downloads MQTT from espruino.com at upload time):\n${r.output.trim()}`,
    );
  }
  return { output: r.output };
}
