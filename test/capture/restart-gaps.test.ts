/**
 * Holes across restarts, with real child gateways (`wharf run`): a stop and restart, a run with
 * capture_disabled, and a restart into a new capture_dir each leave gap records with their true
 * reason, and read together the data has no hole without a gap (issue 11, item 6).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { analyse, readAll, type Stream } from '../crash/crash-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/wharf.mjs');

function runGateway(config: string, home: string, seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [BIN, 'run', '--config', config, '--duration', String(seconds), '--log-level', 'warn'],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WHARF_HOME: home } },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000);
    p.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`gateway exited ${code}:\n${out}`));
    });
  });
}

async function writeConfig(file: string, captureDir: string, disabled: boolean): Promise<void> {
  const remote = (name: string, query: string, method: string, hz: number, params: object) => ({
    name,
    address: `sim://${name}?${query}`,
    components: [
      {
        name: `${name}-board`,
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
              name: `rdk:component:board/${name}-board`,
              method,
              capture_frequency_hz: hz,
              additional_params: params,
            },
          ],
        },
      },
    ],
  });
  await fsp.writeFile(
    file,
    JSON.stringify({
      wharf: { machine: 'restart-test', part_id: 'restart-test', http: null },
      services: [
        {
          name: 'data_manager',
          type: 'data_manager',
          attributes: {
            capture_dir: captureDir,
            capture_disabled: disabled,
            flush_interval_ms: 200,
          },
        },
      ],
      components: [],
      remotes: [
        remote('s', 'wave=saw&period=1000&bms=50', 'Analogs', 50, { A1: '' }),
        remote('p', 'stream=0', 'Gpio', 10, { '27': '' }),
      ],
    }),
  );
}

describe('gaps across restarts (real child gateways)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stop/restart, a run with capture_disabled and a capture_dir switch each leave a gap with their reason; no hole is left unexplained', async () => {
    const home = path.join(dir, 'home');
    const config = path.join(dir, 'gateway.json');
    const dir1 = path.join(dir, 'capture-1');
    const dir2 = path.join(dir, 'capture-2');
    await writeConfig(config, dir1, false);
    await runGateway(config, home, 1.5);
    await runGateway(config, home, 1.5); // a plain stop and restart
    await writeConfig(config, dir1, true);
    await runGateway(config, home, 1.5); // capture_disabled for a whole run
    await writeConfig(config, dir1, false);
    await runGateway(config, home, 1.5);
    await writeConfig(config, dir2, false); // a new capture_dir, edited while stopped
    await runGateway(config, home, 1.5);

    const a = await readAll(dir1);
    const b = await readAll(dir2);
    for (const r of [a, b]) {
      expect(r.progFiles).toEqual([]);
      expect(r.unreadable).toEqual([]);
    }
    // the switch is accounted in the new directory
    const reasonsIn = (m: Map<string, Stream>) =>
      new Set([...m.values()].flatMap((s) => s.gaps.map((g) => g.reason)));
    expect(reasonsIn(b.streams).has('capture_dir_changed')).toBe(true);
    expect(reasonsIn(a.streams).has('capture_dir_changed')).toBe(false);
    // read together, per stream: every hole is covered and each cause is named
    const all = new Map<string, Stream>();
    for (const m of [a.streams, b.streams])
      for (const [k, s] of m) {
        const t = all.get(k);
        if (t === undefined)
          all.set(k, { meta: s.meta, readings: [...s.readings], gaps: [...s.gaps] });
        else {
          t.readings.push(...s.readings);
          t.gaps.push(...s.gaps);
        }
      }
    for (const s of all.values()) s.readings.sort((x, y) => x.time_requested - y.time_requested);
    expect([...all.keys()].sort()).toEqual(['p-board/Gpio', 's-board/Analogs']);
    for (const [key, hz] of [
      ['p-board/Gpio', 10],
      ['s-board/Analogs', 50],
    ] as const) {
      const one = new Map([[key, all.get(key)!]]);
      const [rep] = analyse(one, [], hz);
      const ctx = `${key}: ${JSON.stringify(rep!.gapsByReason)} uncovered ${JSON.stringify(rep!.uncovered.slice(0, 3))}`;
      expect(rep!.uncovered, ctx).toEqual([]);
      expect(rep!.duplicates, ctx).toBe(0);
      expect(rep!.gapsByReason.capture_stopped ?? 0, ctx).toBeGreaterThanOrEqual(2);
      expect(rep!.gapsByReason.capture_disabled ?? 0, ctx).toBeGreaterThanOrEqual(1);
      expect(rep!.gapsByReason.capture_dir_changed ?? 0, ctx).toBe(1);
    }
  }, 120_000);
});
