/**
 * Peer benchmark (not a test, issue 16 item 5): the same MQTT load — N boards × R analog readers,
 * S samples per message (R × S readings per message), QoS 0 — offered to
 *   A. wharf: `wharf run` on the compiled build (dist/), its embedded broker, capture files
 *      (fsync every second);
 *   B. the C floor: Debian's mosquitto (password file + ACL, as docs/boards.md sets it up) and
 *      `mosquitto_sub` writing every message to a file,
 * alternately (A B, B A, A B …) per rate. Per run, from /proc of the receiving side only (gateway
 * process; mosquitto + mosquitto_sub): CPU-seconds per million readings over the measured window
 * (settle → the receiver's last reading), peak RSS (VmHWM, summed for B), loss (readings the load
 * generator sent − readings received: decoded from wharf's capture files after it stopped, counted
 * in mosquitto_sub's file) and lag (seconds from the load's stop until the receiver's
 * count stopped growing: how far behind it was). The load generator is its own process(es).
 *
 *   npm run bench:peers -- [--rates 10000,50000,100000,200000] [--boards 50] [--readers 10]
 *                          [--spm 1 (0: the firmware's own batching)] [--rounds 2] [--secs 8]
 *                          [--procs 1] [--raw] [--only wharf|peer] [--cpu-prof DIR]
 *                          [--before DIR (B = that wharf build instead of the peer)]
 *                          [--flags "NODE FLAGS" (A's node flags, exactly: the launcher adds none)]
 *                          [--before-flags "NODE FLAGS" (the same for B, with --before)]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { startLoad } from './boards/mqtt-fleet.js';
import { ensureBuilt, median } from './gateway-proc.js';
import { cpuSeconds, peakMb, peerReceiver, wharfReceiver } from './peers-receivers.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? dflt : argv[i + 1]!;
};
const RATES = arg('rates', '10000,50000,100000,200000').split(',').map(Number);
const N = Number(arg('boards', '50'));
const R = Number(arg('readers', '10'));
const SPM = Number(arg('spm', '1'));
const ROUNDS = Number(arg('rounds', '2'));
const SECS = Number(arg('secs', '8'));
const PROCS = Number(arg('procs', '1'));
const RAW = argv.includes('--raw');
const ONLY = arg('only', '');
// At ≤ 2 Hz per board the gateway polls its boards (src/capture/engine.ts, streamAboveHz) instead of
// taking what they stream: that is not the load the peer gets, and the load generator would count
// nothing as offered. Refuse such rates rather than print a meaningless comparison.
for (const rate of RATES) {
  const hz = rate / (N * R);
  if (!(hz > 2)) {
    process.stderr.write(
      `bench:peers: --rates ${rate} is ${hz} Hz per board; the gateway polls boards at ≤ 2 Hz, so it would not receive the streamed load the peer gets. Give more than ${2 * N * R} readings/s (or fewer --boards/--readers).\n`,
    );
    process.exit(2);
  }
}
/**
 * A paired before/after run instead of the peer: B is the wharf build in this directory (a copy of
 * an earlier checkout's bin/, dist/, package.json and node_modules), A this tree's.
 */
const BEFORE = arg('before', '');
/**
 * Node flags for A (--flags) and B (--before-flags), given exactly (WHARF_NODE_FLAGS=0: the
 * launcher adds nothing): a paired run of two flag sets, also on Node 20 where the launcher cannot
 * add any. Unset: each side runs as plain `wharf run` does.
 */
const FLAGS: Record<'a' | 'b', string[] | undefined> = {
  a: argv.includes('--flags') ? arg('flags', '').split(/\s+/).filter(Boolean) : undefined,
  b: argv.includes('--before-flags')
    ? arg('before-flags', '').split(/\s+/).filter(Boolean)
    : undefined,
};
/** Writes the gateway's V8 CPU profiles (node --cpu-prof) into this directory. */
const PROF = arg('cpu-prof', '');
const SETTLE_MS = 3000;
const flagNote = (f: string[] | undefined): string =>
  f === undefined ? '' : `, node ${f.length > 0 ? f.join(' ') : "'s defaults"}`;

interface Run {
  cpuPerM: number;
  rssMb: number;
  offered: number;
  received: number;
  lagS: number;
  rate: number;
}

async function run(kind: 'wharf' | 'peer', rate: number): Promise<Run> {
  const hz = rate / (N * R);
  const dir = mkdtempSync(path.join(tmpdir(), `wharf-bench-peers-${kind}-`));
  const rx =
    kind === 'wharf'
      ? await wharfReceiver({ dir, hz, boards: N, readers: R, flags: FLAGS.a, profDir: PROF })
      : BEFORE !== ''
        ? await wharfReceiver({
            dir,
            hz,
            boards: N,
            readers: R,
            bin: path.resolve(BEFORE, 'bin/wharf.mjs'),
            flags: FLAGS.b,
            profDir: PROF,
          })
        : await peerReceiver(dir, N, R);
  try {
    const load = await startLoad({
      url: rx.url,
      boards: N,
      procs: PROCS,
      raw: RAW,
      ...(SPM > 0 ? { samplesPerMessage: SPM } : {}),
      ...(kind === 'peer' && BEFORE === '' ? { self: { readers: R, hz } } : {}),
    });
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const cpu = (): number => rx.pids.reduce((s, p) => s + cpuSeconds(p), 0);
    const cpu0 = cpu();
    const got0 = await rx.readings();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECS * 1000));
    const sent = (await load.stop()) * R;
    const stopped = performance.now();
    // Drain: poll until the count has not grown for 1.5 s (bounded at 30 s).
    let got = await rx.readings();
    let lastGrowth = stopped;
    let cpuAtLast = cpu();
    while (performance.now() - lastGrowth < 1500 && performance.now() - stopped < 30_000) {
      await new Promise((r) => setTimeout(r, 100));
      const g = await rx.readings();
      if (g > got) {
        got = g;
        lastGrowth = performance.now();
        cpuAtLast = cpu();
      }
      if (got >= sent) break;
    }
    const rss = rx.pids.reduce((s, p) => s + peakMb(p), 0);
    const elapsed = (lastGrowth - t0) / 1000;
    const received = await rx.stop();
    return {
      cpuPerM: (cpuAtLast - cpu0) / ((received - got0) / 1e6),
      rssMb: rss,
      offered: sent,
      received,
      lagS: (lastGrowth - stopped) / 1000,
      rate: (got - got0) / elapsed,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The drain is polled every 100 ms: a receiver that had everything at the first poll shows "< 0.1". */
const lag = (s: number): string => (s < 0.05 ? '< 0.1' : s.toFixed(1));
const fmt = (xs: number[], d: number): string =>
  `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;

async function main(): Promise<void> {
  ensureBuilt();
  const perMsg = SPM > 0 ? `${SPM * R} readings per message` : 'the firmware’s own batching';
  const head =
    `peers bench: ${N} boards × ${R} readers, ${perMsg}, QoS 0, ${SECS} s per run after a ${SETTLE_MS / 1000} s settle, ` +
    `${ROUNDS} rounds alternating, load in ${PROCS} process(es)${RAW ? ' (raw publishes)' : ''}; ` +
    `load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`;
  process.stderr.write(head + '\n');
  const rows = [
    '| offered readings/s | receiver | CPU-s per M readings, median (min–max) | peak RSS MB | lost readings (of offered) per run | lag s, max | wharf/peer CPU |',
    '|---|---|---|---|---|---|---|',
  ];
  const kinds = (['wharf', 'peer'] as const).filter((k) => ONLY === '' || ONLY === k);
  for (const rate of RATES) {
    const res: Record<string, Run[]> = { wharf: [], peer: [] };
    // A B, B A, A B, …: neither side always runs first (after the other's teardown).
    for (let i = 0; i < ROUNDS; i++)
      for (const k of i % 2 === 0 ? kinds : [...kinds].reverse()) {
        const r = await run(k, rate);
        res[k]!.push(r);
        process.stderr.write(
          `${rate} ${k === 'peer' && BEFORE !== '' ? 'before' : k} round ${i + 1}: ${r.cpuPerM.toFixed(2)} CPU-s/M, ${r.rssMb.toFixed(0)} MB, ` +
            `${r.offered - r.received} of ${r.offered} lost, lag ${lag(r.lagS)} s, ${r.rate.toFixed(0)} r/s, load ${loadavg()[0]!.toFixed(2)}\n`,
        );
      }
    const ratio =
      res.wharf!.length > 0 && res.peer!.length > 0
        ? (
            median(res.wharf!.map((r) => r.cpuPerM)) / median(res.peer!.map((r) => r.cpuPerM))
          ).toFixed(2)
        : '–';
    for (const k of kinds) {
      const rs = res[k]!;
      rows.push(
        `| ${rate} | ${k === 'wharf' ? `wharf (dist/, embedded broker${flagNote(FLAGS.a)})` : BEFORE !== '' ? `wharf before (${BEFORE}${flagNote(FLAGS.b)})` : 'mosquitto + mosquitto_sub'} | ${fmt(
          rs.map((r) => r.cpuPerM),
          2,
        )} | ${fmt(
          rs.map((r) => r.rssMb),
          0,
        )} | ${rs.map((r) => `${r.offered - r.received} (${r.offered})`).join(', ')} | ${lag(Math.max(...rs.map((r) => r.lagS)))} | ${k === 'wharf' ? ratio : ''} |`,
      );
    }
  }
  process.stdout.write(`${head}, at end ${loadavg()[0]!.toFixed(2)}\n${rows.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
