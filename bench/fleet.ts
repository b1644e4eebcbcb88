/**
 * Fleet benchmark (issue 14, item 8; not a test): N gateway processes with sim boards follow their
 * config from 2 cloud replicas on one PostgreSQL behind a round-robin TCP balancer.
 *
 *   1. every gateway boots on the cloud config (fragment "line", no version = latest);
 *   2. a rate change is saved in the fragment; prints the time until each gateway reported it
 *      applied (goal: all within 5 s);
 *   3. capture + sync for a while; one replica is SIGKILLed mid-run (the balancer sends new
 *      connections to the other);
 *   4. capture is switched off through the fragment, sync drains; prints readings/s ingested,
 *      duplicates and lost records (records the gateways made durable vs rows in the cloud).
 *
 *   node --import tsx bench/fleet.ts [--gateways 20] [--run-s 20] [--pg postgres://…]
 * Without --pg a throwaway database is created on the local server (peer auth, as the tests).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { decodeCaptureFile } from '../src/capture/file-format.js';
import { listFinishedFiles } from '../src/capture/files.js';
import { PostgresFleetStore } from '../src/cloud/fleet/postgres.js';
import { PostgresStore } from '../src/cloud/store/postgres.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/wharf.mjs');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { values } = parseArgs({
  options: {
    gateways: { type: 'string', default: '20' },
    'run-s': { type: 'string', default: '20' },
    pg: { type: 'string' },
  },
});
const N = Number(values.gateways);
const RUN_MS = Number(values['run-s']) * 1000;

async function until<T>(what: string, f: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function fragment(hz: number, captureDisabled = false) {
  const analogs = ['A1', 'A2', 'A3'].map((name, i) => ({ name, pin: String(32 + i) }));
  return {
    services: [
      {
        name: 'data_manager',
        type: 'data_manager',
        attributes: {
          sync_interval_mins: 0.02,
          maximum_capture_file_age_ms: 1000,
          flush_interval_ms: 500,
          capture_disabled: captureDisabled,
        },
      },
    ],
    remotes: ['left', 'right'].map((side) => ({
      name: side,
      address: `sim://${side}?wave=sine&period=10000`,
      components: [{ name: `${side}-board`, type: 'board', attributes: { analogs } }],
      service_configs: [
        {
          type: 'data_manager',
          attributes: {
            capture_methods: [
              {
                name: `rdk:component:board/${side}-board`,
                method: 'Analogs',
                capture_frequency_hz: hz,
                additional_params: { A1: '', A2: '', A3: '' },
              },
            ],
          },
        },
      ],
    })),
  };
}

/** Round robin per connection over the live targets; a refused target is skipped. */
function balancer(targets: number[]): Promise<{ port: number; close(): void }> {
  let next = 0;
  const server = net.createServer((client) => {
    const start = next++;
    const tryConnect = (attempt: number) => {
      const port = targets[(start + attempt) % targets.length]!;
      const up = net.connect(port, '127.0.0.1');
      up.once('connect', () => {
        client.pipe(up);
        up.pipe(client);
      });
      up.once('error', () => {
        up.destroy();
        if (attempt + 1 < targets.length) tryConnect(attempt + 1);
        else client.destroy();
      });
      client.once('error', () => up.destroy());
      client.once('close', () => up.destroy());
      up.once('close', () => client.destroy());
    };
    tryConnect(0);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => server.close(),
      }),
    ),
  );
}

function startReplica(pgUrl: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(
    process.execPath,
    [BIN, 'cloud', 'serve', '--no-ui', '--port', '0', '--pg', pgUrl],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, WHARF_LOG_LEVEL: 'warn' },
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /serving \w+ store at http:\/\/[\d.]+:(\d+)/.exec(out);
      if (m) resolve({ proc, port: Number(m[1]) });
    });
    proc.once('exit', (c) => reject(new Error(`replica exited (${c}): ${out}`)));
  });
}

interface Gw {
  name: string;
  proc: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

async function main(): Promise<void> {
  let pgUrl = values.pg;
  let dropDb = async () => undefined as void;
  if (pgUrl === undefined) {
    const host = process.env.PGHOST ?? '/var/run/postgresql';
    const user = process.env.PGUSER ?? os.userInfo().username;
    const name = `wharf_bench_fleet_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ host, user, database: 'postgres' });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    pgUrl = `postgres://${encodeURIComponent(user)}@${encodeURIComponent(host)}/${name}`;
    dropDb = async () => {
      const a = new pg.Client({ host, user, database: 'postgres' });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    };
  }
  const store = await PostgresStore.open(pgUrl);
  const fleet = await PostgresFleetStore.open(pgUrl);
  const home = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-fleet-'));
  const gws: Gw[] = [];
  const replicas: { proc: ChildProcess; port: number }[] = [];
  let lb: { port: number; close(): void } | undefined;
  try {
    replicas.push(await startReplica(pgUrl), await startReplica(pgUrl));
    lb = await balancer(replicas.map((r) => r.port));
    const url = `http://127.0.0.1:${lb.port}`;
    const admin = await store.createKey(null, 'bench admin');
    await fleet.grantAdmin(admin.info.id);
    await fleet.createFragment('line', 'bench line', fragment(5), admin.info.id);
    const names = Array.from({ length: N }, (_, i) => `gw${String(i + 1).padStart(2, '0')}`);
    for (const m of names)
      await fleet.setMachineConfig(m, { wharf: { http: null }, fragments: [{ id: 'line' }] }, null);
    console.log(
      `fleet bench: ${N} gateways (2 sim boards × 3 readers each), 2 replicas on PostgreSQL, balancer ${url}`,
    );
    const t0 = Date.now();
    for (const m of names) {
      const key = (await store.createKey(m, m)).key;
      const proc = spawn(process.execPath, [BIN, 'run', '--cloud', url, '--machine', m], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          WHARF_HOME: path.join(home, m),
          WHARF_API_KEY: key,
          WHARF_LOG_LEVEL: 'warn',
        },
      });
      const g: Gw = {
        name: m,
        proc,
        out: '',
        err: '',
        exited: new Promise((r) => proc.once('exit', r)),
      };
      proc.stdout!.on('data', (d: Buffer) => (g.out += d.toString()));
      proc.stderr!.on('data', (d: Buffer) => (g.err = (g.err + d.toString()).slice(-2000)));
      gws.push(g);
    }
    const reportsAt = async (revision: number) =>
      (await fleet.reports(1000)).filter(
        (r) => r.status === 'applied' && r.fragments[0]?.revision === revision,
      );
    await until(
      'every gateway booted',
      async () => ((await reportsAt(1)).length === N ? true : undefined),
      180_000,
    );
    console.log(
      `  all ${N} gateways up and reporting revision 1 after ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );

    // the rate change
    await sleep(2000);
    const changedAt = Date.now();
    await fleet.updateFragment('line', fragment(10), admin.info.id);
    const applied = await until(
      'the rate change everywhere',
      async () => {
        const r = await reportsAt(2);
        return r.length === N ? r : undefined;
      },
      60_000,
    );
    const lat = applied.map((r) => r.applied_ms - changedAt).sort((a, b) => a - b);
    console.log(
      `  rate change 5 → 10 Hz: applied on all ${N} gateways within ${lat.at(-1)} ms (median ${lat[Math.floor(N / 2)]} ms, fastest ${lat[0]} ms); goal ≤ 5000 ms: ${lat.at(-1)! <= 5000 ? 'met' : 'NOT met'}`,
    );

    // capture + sync, one replica killed in the middle
    const machines = names;
    const c0 = await store.count({ machine: machines });
    const s0 = Date.now();
    await sleep(RUN_MS / 2);
    replicas[0]!.proc.kill('SIGKILL');
    console.log(`  replica 1 killed (SIGKILL) after ${RUN_MS / 2000} s of the run`);
    await sleep(RUN_MS / 2);
    const c1 = await store.count({ machine: machines });
    const s1 = Date.now();
    console.log(
      `  ingested ${c1 - c0} records in ${((s1 - s0) / 1000).toFixed(1)} s = ${Math.round(((c1 - c0) * 1000) / (s1 - s0))} records/s = ${Math.round(((c1 - c0) * 3000) / (s1 - s0))} readings/s (3 readers per record; capture makes ${N} × 2 boards × 10 Hz = ${N * 20} records/s)`,
    );

    // stop capturing through the fragment, let sync drain, stop the gateways
    await fleet.updateFragment('line', fragment(10, true), admin.info.id);
    await until(
      'capture off everywhere',
      async () => ((await reportsAt(3)).length === N ? true : undefined),
      60_000,
    ).catch(async (err: unknown) => {
      const done = new Set((await reportsAt(3)).map((r) => r.machine));
      for (const g of gws.filter((x) => !done.has(x.name))) {
        const r = (await fleet.reports(1000)).find((x) => x.machine === g.name);
        console.log(
          `  ${g.name} last report: ${JSON.stringify(r)}\n  stderr: ${g.err.slice(-600)}`,
        );
      }
      throw err;
    });
    let last = -1;
    await until(
      'sync drained',
      async () => {
        await sleep(3000);
        const n = await store.count({ machine: machines });
        const done = n === last;
        last = n;
        return done ? true : undefined;
      },
      120_000,
    );
    for (const g of gws) g.proc.kill('SIGTERM');
    await Promise.all(gws.map((g) => g.exited));
    // records each gateway made durable (its stop line) vs rows in the cloud; duplicates by identity
    let durable = 0;
    for (const g of gws) durable += Number(/(\d+) records durable/.exec(g.out)?.[1] ?? NaN);
    const stored = await store.count({ machine: machines });
    const pool = new pg.Pool({ connectionString: pgUrl, max: 1 });
    const dup = await pool.query<{ n: string }>(
      `SELECT count(*) - count(DISTINCT (machine, component_name, method_name, kind, time_requested, time_received)) AS n FROM readings`,
    );
    await pool.end();
    // what is still on the gateways' disks (written after their last sync run, e.g. at stop)
    let onDisk = 0;
    for (const g of gws)
      for (const f of await listFinishedFiles(path.join(home, g.name, 'capture')))
        onDisk += decodeCaptureFile(await readFile(f.path)).records.length;
    console.log(
      `  records durable on the gateways: ${durable}; rows in the cloud: ${stored}; still on the gateways' disks (not yet synced): ${onDisk}; duplicates: ${dup.rows[0]!.n}; lost: ${durable - stored - onDisk}`,
    );
  } finally {
    for (const g of gws) if (g.proc.exitCode === null) g.proc.kill('SIGKILL');
    await Promise.all(
      replicas.map((r) =>
        r.proc.exitCode !== null || r.proc.signalCode !== null
          ? undefined
          : new Promise((res) => {
              r.proc.once('exit', res);
              r.proc.kill('SIGTERM');
            }),
      ),
    );
    lb?.close();
    await fleet.close();
    await store.close();
    await dropDb();
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
