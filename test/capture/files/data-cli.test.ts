import { describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { FileCaptureStore } from '../../../src/capture/file-store.js';
import { listFinishedFiles } from '../../../src/capture/files.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { toViamRow, type CaptureRecord } from '../../../src/shared/record.js';
import { analogReading, fixedMeta } from './arbitraries.js';
import { useTempDirs } from './tmp.js';
import { runCli } from '../../helpers/cli.js';

const tempDir = useTempDirs();
const T0 = Date.UTC(2026, 0, 1);
const gpioMeta = { ...fixedMeta, method_name: 'Gpio', additional_parameters: { pin_name: '27' } };
const gap: CaptureRecord = {
  kind: 'gap',
  reason: 'timeout',
  start: T0 + 5,
  end: T0 + 6,
  count: 2,
  detail: 'read timed out after 200 ms',
};

async function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = process.cwd(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, out, err } = await runCli(args, env, cwd);
  return { code, stdout: out, stderr: err };
}

/** Two finished Analogs files (3 + 2 records incl. a gap), one Gpio .prog being written. */
async function sampleDir(dir: string) {
  const store = new FileCaptureStore({
    dir,
    clock: new FakeClock(T0),
    logger: nullLogger,
    settings: {
      flush_interval_ms: 1000,
      maximum_capture_file_size_bytes: 1 << 20,
      maximum_capture_file_age_ms: 0,
    },
  });
  const a = [analogReading(0), analogReading(1), analogReading(2)];
  for (const r of a) store.append('a', fixedMeta, r);
  await store.rotateAll();
  store.append('a', fixedMeta, gap);
  store.append('a', fixedMeta, analogReading(3));
  await store.rotateAll();
  const g: CaptureRecord = {
    kind: 'reading',
    time_requested: T0 + 50,
    time_received: T0 + 51,
    data: { '27': { high: true } },
  };
  store.append('g', gpioMeta, g);
  await store.flush();
  return { store, records: [...a, gap, analogReading(3)], gpio: g };
}

describe('wharf data', () => {
  it('ls lists every file with state, records, bytes and time span', async () => {
    const dir = await tempDir();
    const { store } = await sampleDir(dir);
    const { code, stdout } = await run(['data', 'ls', dir]);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^STATE\s+RECORDS\s+BYTES\s+FIRST\s+LAST\s+PATH$/);
    expect(
      lines.filter((l) =>
        /^finished\s+3\s+\d+\s+2026-01-01T00:00:00\.000Z\s+2026-01-01T00:00:00\.021Z\s+board\/my-esp32\/Analogs\/.*\.capture$/.test(
          l,
        ),
      ),
    ).toHaveLength(1);
    expect(
      lines.filter((l) => /^writing\s+1\s+.*board\/my-esp32\/Gpio\/.*\.prog$/.test(l)),
    ).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^3 file\(s\), \d+ bytes in /);
    const json = (await run(['data', 'ls', dir, '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { state: string; records: number });
    expect(json.map((j) => [j.state, j.records])).toEqual([
      ['finished', 3],
      ['finished', 2],
      ['writing', 1],
    ]);
    await store.close();
  });

  it('cat prints every record as a Viam-shaped JSON line, in file order, with filters', async () => {
    const dir = await tempDir();
    const { store, records, gpio } = await sampleDir(dir);
    const all = await run(['data', 'cat', dir]);
    expect(all.code).toBe(0);
    const rows = all.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(rows).toEqual([
      ...records.map((r) => toViamRow(fixedMeta, r)),
      toViamRow(gpioMeta, gpio),
    ]);
    const gaps = await run(['data', 'cat', dir, '--kind', 'gap']);
    expect(
      gaps.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([toViamRow(fixedMeta, gap)]);
    expect(
      (await run(['data', 'cat', dir, '--method', 'Gpio'])).stdout.trim().split('\n'),
    ).toHaveLength(1);
    expect(
      (await run(['data', 'cat', dir, '--limit', '2'])).stdout.trim().split('\n'),
    ).toHaveLength(2);
    const first = (await listFinishedFiles(dir))[0]!.path;
    expect((await run(['data', 'cat', first])).stdout.trim().split('\n')).toHaveLength(3);
    expect((await run(['data', 'cat', dir, '--kind', 'zero'])).stderr).toMatch(
      /--kind must be 'reading' or 'gap'/,
    );
    await store.close();
  });

  it('stats prints per-component counts and gaps by reason; exits 1 naming a damaged file', async () => {
    const dir = await tempDir();
    const { store } = await sampleDir(dir);
    await store.close();
    const ok = await run(['data', 'stats', dir]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /files: 3 finished, 0 being written, 0 in failed\/, 0 damaged, 0 unreadable; \d+ bytes; 5 readings/,
    );
    expect(ok.stdout).toMatch(
      /board\/my-esp32\/Analogs\s+2\s+4\s+1\s+2\s+\d+\.\d\/\d+\.\d\s+2026-01-01T00:00:00\.000Z/,
    );
    expect(ok.stdout).toMatch(/board\/my-esp32\/Gpio\s+1\s+1\s+0\s+0/);
    expect(ok.stdout).toMatch(/timeout\s+1 gap record\(s\), 2 reading\(s\) missing/);
    const victim = (await listFinishedFiles(dir))[1]!.path;
    const bytes = await readFile(victim);
    bytes[bytes.length - 3]! ^= 0xff;
    await writeFile(victim, bytes);
    const bad = await run(['data', 'stats', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/1 damaged/);
    expect(bad.stderr).toContain(victim);
    expect(bad.stderr).toMatch(/record checksum mismatch/);
  });

  it('defaults to $WHARF_HOME/capture, or the capture_dir of --config', async () => {
    const home = await tempDir();
    const { store } = await sampleDir(path.join(home, 'capture'));
    const viaEnv = await run(['data', 'stats'], { WHARF_HOME: home });
    expect(viaEnv.code).toBe(0);
    expect(viaEnv.stdout).toContain(path.join(home, 'capture'));
    const cfg = path.join(home, 'machine.json');
    await writeFile(
      cfg,
      JSON.stringify({
        components: [],
        services: [
          {
            name: 'dm',
            type: 'data_manager',
            attributes: { capture_dir: path.join(home, 'capture') },
          },
        ],
      }),
    );
    const viaConfig = await run(['data', 'ls', '--config', cfg], { HOME: '/nonexistent' });
    expect(viaConfig.code).toBe(0);
    expect(viaConfig.stdout).toMatch(/3 file\(s\)/);
    const missing = await run(['data', 'ls', path.join(home, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist; pass the capture directory/);
    await store.close();
  });

  it('cat stops quietly when its reader goes away (wharf data cat | head)', async () => {
    const dir = await tempDir();
    const store = new FileCaptureStore({
      dir,
      clock: new FakeClock(T0),
      logger: nullLogger,
      settings: {
        flush_interval_ms: 1000,
        maximum_capture_file_size_bytes: 1 << 20,
        maximum_capture_file_age_ms: 0,
      },
    });
    for (let i = 0; i < 5000; i++) store.append('a', fixedMeta, analogReading(i)); // ~1.5 MB of JSON, more than a pipe holds
    await store.close();
    const child = spawn(process.execPath, [path.resolve('bin/wharf.mjs'), 'data', 'cat', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const firstLine = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout.on('data', (b: Buffer) => {
        buf += b.toString();
        if (buf.includes('\n')) {
          child.stdout.destroy();
          resolve(buf.slice(0, buf.indexOf('\n')));
        }
      });
    });
    expect(JSON.parse(firstLine)).toEqual(toViamRow(fixedMeta, analogReading(0)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });

  it('runs as a real process: node bin/wharf.mjs data stats DIR exits 0, and 1 on an unreadable file', async () => {
    const dir = await tempDir();
    const { store } = await sampleDir(dir);
    await store.close();
    const bin = path.resolve('bin/wharf.mjs');
    const exec = promisify(execFile);
    const ok = await exec(process.execPath, [bin, 'data', 'stats', dir], { timeout: 20_000 });
    expect(ok.stdout).toMatch(/5 readings/);
    await writeFile(path.join(dir, 'board', 'junk.capture'), 'this is not a capture file');
    const err = await exec(process.execPath, [bin, 'data', 'stats', dir], { timeout: 20_000 }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/junk\.capture: capture file header unreadable/);
  });

  it('after a power cut: a 0-byte or headless .prog is reported as left by a crash, recovered at the next start, exit 0 (real process)', async () => {
    const dir = await tempDir();
    const { store } = await sampleDir(dir);
    await store.close();
    const sub = path.join(dir, 'board', 'my-esp32', 'Analogs');
    await writeFile(path.join(sub, '2026-01-02T00-00-00.000Z_empty.prog'), '');
    const head = await readFile((await listFinishedFiles(dir))[0]!.path);
    await writeFile(path.join(sub, '2026-01-02T00-00-01.000Z_torn.prog'), head.subarray(0, 10));
    const bin = path.resolve('bin/wharf.mjs');
    const r = await promisify(execFile)(process.execPath, [bin, 'data', 'stats', dir], {
      timeout: 20_000,
    });
    expect(r.stdout).toMatch(/3 finished, 2 being written, 0 in failed\/, 0 damaged, 0 unreadable/);
    expect(r.stderr).toMatch(
      /_empty\.prog: empty \(being written, or left by a crash: recovered at the next start\)/,
    );
    expect(r.stderr).toMatch(/_torn\.prog: no complete header yet/);
    expect(r.stderr).not.toMatch(/disk fault/);
  });
});
