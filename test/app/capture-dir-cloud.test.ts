/**
 * issue 14, item 5, as real processes: the cloud on 127.0.0.1 (SQLite) and a gateway child
 * `wharf run --cloud URL --machine gw1` following its config. The cloud moves capture_dir:
 *  - new data goes to the new dir at once, the old dir's open files are finished there;
 *  - `wharf status` (a child process too) shows both dirs while the old one holds data;
 *  - the gateway is killed (SIGKILL) while the old dir still holds data and restarted: it keeps
 *    draining the old dir (the list is in the new dir);
 *  - once sync is on, the old dir drains to empty and is no longer shown; in the cloud every
 *    reading is there once, the old dir's readings all arrived, and every hole has a gap record.
 * And the same through an edited local config file (`wharf run --config FILE`, sync to a dir):
 * the edit moves new data at once, the old dir drains, and the next start knows where it ran.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCaptureFile, FINISHED_SUFFIX } from '../../src/capture/file-format.js';
import { walkCaptureDir } from '../../src/capture/files.js';
import type { StoredRow } from '../../src/cloud/store/contract.js';
import type { MachineReport } from '../../src/cloud/fleet/contract.js';
import { call, startFleetCloud, type FleetCloud } from '../cloud/fleet-helper.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WHARF = path.join(ROOT, 'bin/wharf.mjs');
const run = promisify(execFile);
const PERIOD = 200; // 5 Hz

interface Gw {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | string | null>;
}

function startGateway(key: string, home: string, url: string): Gw {
  const proc = spawn(process.execPath, [WHARF, 'run', '--cloud', url, '--machine', 'gw1'], {
    cwd: ROOT,
    env: { ...process.env, WHARF_HOME: home, WHARF_API_KEY: key, WHARF_LOG_LEVEL: 'info' },
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string | null>((r) => proc.once('exit', (c, s) => r(c ?? s)));
  return { proc, out: () => out, err: () => err, exited };
}

function config(dir: string, syncDisabled: boolean) {
  return {
    remotes: [
      {
        name: 'press',
        address: 'sim://press?wave=sine&period=10000',
        components: [
          {
            name: 'press-board',
            type: 'board',
            attributes: { analogs: [{ name: 'A1', pin: '34' }] },
          },
        ],
        service_configs: [
          {
            type: 'data_manager',
            attributes: {
              capture_methods: [
                {
                  name: 'rdk:component:board/press-board',
                  method: 'Analogs',
                  capture_frequency_hz: 1000 / PERIOD,
                  additional_params: { reader_name: 'A1' },
                },
              ],
            },
          },
        ],
      },
    ],
    services: [
      {
        name: 'data_manager',
        type: 'data_manager',
        attributes: {
          capture_dir: dir,
          sync_disabled: syncDisabled,
          sync_interval_mins: 0.005,
          maximum_capture_file_age_ms: 300,
          flush_interval_ms: 100,
        },
      },
    ],
    wharf: { http: { host: '127.0.0.1', port: 0 } },
  };
}

/** Gap records as the cloud's rows show them (start, end, and the record in `data`). */
interface GapRow {
  time_requested: number;
  time_received: number;
  data: unknown;
}

async function readingsInDir(dir: string, gaps: GapRow[] = []): Promise<number[]> {
  const out: number[] = [];
  for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX])) {
    const bytes = await readFile(f.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null; // synced (and removed) meanwhile
      throw err;
    });
    if (bytes === null) continue;
    const d = decodeCaptureFile(bytes);
    expect(d.torn, f.path).toBeNull();
    for (const r of d.records) {
      if (r.kind === 'reading') out.push(r.time_requested);
      else if (r.kind === 'gap')
        gaps.push({ time_requested: r.start, time_received: r.end, data: r });
    }
  }
  return out;
}

interface StatusDoc {
  capture_dir: string;
  draining: { dir: string; files: number | null; state: string }[];
}

async function statusOf(url: string): Promise<StatusDoc> {
  return (await (await fetch(`${url}/status`)).json()) as StatusDoc;
}

const statusUrl = (gw: Gw): string | undefined =>
  /status: (http:\/\/127\.0\.0\.1:\d+)\/status/.exec(gw.out())?.[1];

describe('capture_dir moved by the cloud, with real processes', () => {
  let c: FleetCloud;
  let home: string;
  let key: string;
  const gws: Gw[] = [];
  beforeAll(async () => {
    c = await startFleetCloud('sqlite');
    home = await mkdtemp(path.join(os.tmpdir(), 'wharf-capdir-cloud-'));
    key = await c.machineKey('gw1');
  });
  afterAll(async () => {
    for (const g of gws) if (g.proc.exitCode === null) g.proc.kill('SIGKILL');
    await c.close();
    await rm(home, { recursive: true, force: true });
  });

  const report = async (): Promise<MachineReport | undefined> =>
    (await c.fleet.reports(10)).find((r) => r.machine === 'gw1');
  const setConfig = async (cfg: unknown) => {
    const r = await call(`${c.main.url}/api/v1/fleet/machines/gw1/config`, c.adminKey, 'PUT', {
      config: cfg,
    });
    expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
    return r.json as { revision?: number };
  };
  const applied = (revision: number) =>
    waitFor(
      async () => {
        const r = await report();
        return r?.status === 'applied' && r.config_revision >= revision;
      },
      20_000,
      `config revision ${revision} applied`,
    );

  async function cloudRows(kind: 'reading' | 'gap'): Promise<StoredRow[]> {
    const rows: StoredRow[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page = await c.store.query(
        { machine: ['gw1'], component_name: ['press-board'], kind },
        { limit: 1000, order: 'asc', cursor },
      );
      rows.push(...page.rows);
      cursor = page.next_cursor;
      if (cursor === null) break;
    }
    return rows;
  }

  it('new data in the new dir at once, the old dir drains to empty across a crash, the cloud has every reading once', async () => {
    const A = path.join(home, 'capture-a');
    const B = path.join(home, 'capture-b');
    // sync off at first, so the old dir still holds data while we look
    await setConfig(config(A, true));
    const gw = startGateway(key, home, c.main.url);
    gws.push(gw);
    await applied(1);
    await waitFor(
      async () => (await walkCaptureDir(A, [FINISHED_SUFFIX])).length >= 3,
      20_000,
      'finished files in capture-a',
    );

    const switchAt = Date.now();
    await setConfig(config(B, true));
    await applied(2);
    // new data in B at once: finished files there with readings from the switch on, over a second
    // (the switch is checked for holes below, up to the crash)
    await waitFor(
      async () => (await readingsInDir(B)).some((t) => t >= switchAt + 1000),
      5000,
      'a second of readings after the switch in capture-b',
    );
    // A's open file was finished (readable, no .prog), and A gets nothing new
    await waitFor(
      async () => (await walkCaptureDir(A, ['.prog'])).length === 0,
      5000,
      'capture-a has no open file',
    );
    const inA = await readingsInDir(A);
    expect(inA.length).toBeGreaterThan(5);

    // `wharf status` (its own process) shows both dirs
    const url = statusUrl(gw);
    expect(url, gw.out()).toBeDefined();
    await waitFor(
      async () => (await statusOf(url!)).draining[0]?.files != null,
      5000,
      'the draining dir measured',
    );
    const cli = await run(process.execPath, [WHARF, 'status', '--gateway', url!, '--dir', B], {
      cwd: ROOT,
      env: { ...process.env, WHARF_HOME: home },
    }).catch((e: { stdout: string; code: number }) => e); // exit 3 when it warns
    expect(cli.stdout).toContain(`capture_dir: ${B} (new data)`);
    expect(cli.stdout).toMatch(new RegExp(`draining: +${A} \\(since [^)]+\\): \\d+ file\\(s\\)`));
    expect(cli.stdout).toContain('disabled');

    // a crash while A still holds data: the restarted gateway keeps draining it
    const killAt = Date.now();
    gw.proc.kill('SIGKILL');
    await gw.exited;
    const gw2 = startGateway(key, home, c.main.url);
    gws.push(gw2);
    await waitFor(() => statusUrl(gw2) !== undefined, 20_000, 'the restarted gateway listening');
    const url2 = statusUrl(gw2)!;
    const st2 = await statusOf(url2);
    expect(st2.capture_dir).toBe(B);
    expect(st2.draining.map((d) => d.dir)).toEqual([A]);

    // sync on: A drains to empty and is dropped; B syncs
    const restartAt = Date.now();
    await setConfig(config(B, false));
    await applied(3);
    await waitFor(
      async () => (await statusOf(url2)).draining.length === 0,
      30_000,
      'capture-a drained and dropped from /status',
    );
    expect(await walkCaptureDir(A, [FINISHED_SUFFIX, '.prog'])).toEqual([]);
    await waitFor(
      async () => (await cloudRows('reading')).some((r) => r.time_requested > restartAt + 1000),
      30_000,
      'readings from after the restart in the cloud',
    );
    gw2.proc.kill('SIGTERM');
    expect(await gw2.exited).toBe(0);
    await waitFor(
      async () => (await walkCaptureDir(B, [FINISHED_SUFFIX])).length === 0,
      1000,
      'the last files synced at the stop',
    ).catch(() => undefined); // what the bounded final pass left is checked below from disk

    // the cloud: every reading once; all of A's; every hole between readings is a gap record
    const readings = await cloudRows('reading');
    const gapsInB: GapRow[] = [];
    const leftInB = await readingsInDir(B, gapsInB);
    const times = [...readings.map((r) => r.time_requested), ...leftInB].sort((a, b) => a - b);
    expect(new Set(times).size, 'a reading stored twice').toBe(times.length);
    const have = new Set(times);
    for (const t of inA) expect(have.has(t), `reading ${t} of capture-a lost`).toBe(true);
    // gap records the bounded final sync pass left in B count as well as the cloud's
    const gaps = [...(await cloudRows('gap')), ...gapsInB].filter(
      (g) => ((g.data as { count?: number }).count ?? 0) > 0,
    );
    for (let i = 1; i < times.length; i++) {
      const a = times[i - 1]!;
      const b = times[i]!;
      if (b - a <= 1.5 * PERIOD) continue;
      for (let t = a + PERIOD; t <= b - PERIOD / 2; t += PERIOD) {
        const covered = gaps.some(
          (g) => g.time_requested - PERIOD / 2 <= t && t <= g.time_received + PERIOD / 2,
        );
        expect(covered, `tick ${t} between readings ${a} and ${b} has no gap record`).toBe(true);
      }
    }
    // the switch itself leaves no hole: every tick from the last reading before it up to the crash
    // has its reading (the crash's own hole, a suffix of what was not durable yet, is checked next)
    const before = times.filter((t) => t < switchAt).at(-1) ?? switchAt;
    const around = times.filter((t) => t >= before && t < killAt);
    expect(around.at(-1)! - before, 'readings across the switch').toBeGreaterThan(800);
    for (let i = 1; i < around.length; i++) {
      const [a, b] = [around[i - 1]!, around[i]!];
      expect(
        b - a,
        `a hole at the switch, ${a - switchAt}..${b - switchAt} ms from it`,
      ).toBeLessThanOrEqual(1.5 * PERIOD);
    }
    // the crash made a hole (no process captured between the kill and the restarted gateway's
    // first tick): each such hole is covered by gaps (checked tick by tick above), at least one with
    // the restart's reason (capture_stopped, or board_offline for the part the streaming board was
    // not back yet)
    const holes = times.flatMap((b, i) => {
      const a = times[i - 1];
      return a !== undefined && b - a > 1.5 * PERIOD && b > killAt && a < restartAt ? [[a, b]] : [];
    });
    process.stderr.write(`capture-dir-cloud: holes around the crash ${JSON.stringify(holes)}\n`);
    expect(holes.length, 'the kill left no hole in the readings').toBeGreaterThan(0);
    const crashGaps = gaps.filter((g) =>
      holes.some(([a, b]) => g.time_received > a! && g.time_requested < b!),
    );
    expect(
      crashGaps.some((g) =>
        ['capture_stopped', 'board_offline'].includes((g.data as { reason?: string }).reason ?? ''),
      ),
      `holes ${JSON.stringify(holes)}: ${JSON.stringify(crashGaps.map((g) => g.data))}`,
    ).toBe(true);
  }, 180_000);

  it('an edited local config file moves capture_dir live; the old dir drains into the sync dir; the next start needs no capture_dir_changed', async () => {
    const A = path.join(home, 'file-a');
    const B = path.join(home, 'file-b');
    const T = path.join(home, 'file-target');
    await mkdir(T);
    const file = path.join(home, 'gateway.json');
    const fileConfig = (dir: string) => {
      const cfg = config(dir, false) as ReturnType<typeof config> & { wharf: object };
      return { ...cfg, wharf: { machine: 'gw-file', http: null, sync: { dir: T } } };
    };
    await writeFile(file, JSON.stringify(fileConfig(A)));
    const start = () => {
      const proc = spawn(process.execPath, [WHARF, 'run', '--config', file], {
        cwd: ROOT,
        env: { ...process.env, WHARF_HOME: home, WHARF_LOG_LEVEL: 'info' },
      });
      let out = '';
      let err = '';
      proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      const exited = new Promise<number | string | null>((r) =>
        proc.once('exit', (code, sig) => r(code ?? sig)),
      );
      const g: Gw = { proc, out: () => out, err: () => err, exited };
      gws.push(g);
      return g;
    };
    const gw = start();
    await waitFor(
      async () => (await walkCaptureDir(T, [FINISHED_SUFFIX])).length >= 2,
      20_000,
      'files synced from file-a',
    );
    const switchAt = Date.now();
    await writeFile(file, JSON.stringify(fileConfig(B)));
    await waitFor(
      async () => (await readingsInDir(B).catch(() => [])).some((t) => t >= switchAt),
      5000,
      'a reading after the edit in file-b',
    );
    await waitFor(
      async () => (await walkCaptureDir(A, [FINISHED_SUFFIX, '.prog'])).length === 0,
      20_000,
      'file-a drained',
    );
    await waitFor(
      () => gw.err().includes('previous capture dir drained'),
      10_000,
      'the drain logged',
    );
    gw.proc.kill('SIGTERM');
    expect(await gw.exited, gw.err().slice(-3000)).toBe(0);
    // the live change was recorded: the next start on file-b accounts no capture_dir switch
    const history = JSON.parse(await readFile(path.join(home, 'capture-dirs.json'), 'utf8')) as {
      configs: Record<string, { capture_dir: string }>;
    };
    expect(history.configs[file]?.capture_dir).toBe(B);
    const gw2 = start();
    await waitFor(() => gw2.out().includes('capturing'), 20_000, 'the second start');
    gw2.proc.kill('SIGTERM');
    expect(await gw2.exited, gw2.err().slice(-3000)).toBe(0);
    expect(gw2.err()).not.toContain('capture_dir changed since the last run');
    // every reading in the sync dir or still in file-b, once
    const synced = [...(await readingsInDir(T)), ...(await readingsInDir(B))];
    expect(new Set(synced).size).toBe(synced.length);
    const around = synced.filter((t) => Math.abs(t - switchAt) < 1000).sort((a, b) => a - b);
    expect(around.length).toBeGreaterThan(5);
    expect(Math.max(...around.slice(1).map((t, i) => t - around[i]!))).toBeLessThanOrEqual(
      1.5 * PERIOD,
    );
  }, 120_000);
});
