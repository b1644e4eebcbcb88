/**
 * `npm run bench:start` — start time and memory of the installed command (a benchmark, not a test).
 *
 *   1. `wharf --help` and `wharf config check examples/sim-gateway.jsonc`: wall time of the whole
 *      process (spawn to exit), median of --runs (10), on the compiled build (dist/).
 *   2. gateway RSS (`wharf run`, a real child process): one sim board (3 analog readers at 10 Hz)
 *      after --seconds (60); and 50 boards × 10 readers × 200 Hz = 100,000 readings/s streamed
 *      into capture files, RSS sampled every second (last and peak).
 * Targets (issue 13): --help ≤ 150 ms, config check ≤ 400 ms, one board ≤ 60 MB, 100k/s ≤ 100 MB.
 *
 *   npm run bench:start -- [--runs 10] [--seconds 60] [--skip-rss] [--skip-times] [--node-args=--max-semi-space-size=1]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UNIT_NODE_ARGS } from '../src/app/service-unit.js';
import { BIN, ensureBuilt, median, ROOT, startGateway, writeSimConfig } from './gateway-proc.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '60' },
    'skip-rss': { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    'skip-times': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);
const nodeArgs = values['node-args'].split(' ').filter((a) => a !== '');

function timeCommand(args: string[], bin: string[] = [BIN]): { medianMs: number; all: number[] } {
  const all: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [...nodeArgs, ...bin, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    all.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (r.status !== 0) throw new Error(`wharf ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return { medianMs: median(all), all };
}

async function rssRun(
  label: string,
  boards: number,
  readers: number,
  hz: number,
  flags: string[],
  env: NodeJS.ProcessEnv,
): Promise<{
  label: string;
  lastMb: number;
  peakMb: number;
  readingsPerS: number;
  privateMb: number;
}> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-bench-start-'));
  try {
    const config = await writeSimConfig({ dir, boards, readers, hz });
    const gw = await startGateway(config, flags, env);
    let peak = 0;
    let last = 0;
    const r0 = await gw.readings();
    const t0 = Date.now();
    for (let s = 0; s < seconds; s++) {
      await new Promise((r) => setTimeout(r, 1000));
      last = gw.rssMb();
      peak = Math.max(peak, last);
    }
    const perS = ((await gw.readings()) - r0) / ((Date.now() - t0) / 1000);
    const privateMb = gw.privateMb();
    const code = await gw.stop();
    if (code !== 0) throw new Error(`gateway exited ${code}`);
    return { label, lastMb: last, peakMb: peak, readingsPerS: perS, privateMb };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

ensureBuilt();
const fmt = (n: number) => n.toFixed(0);
// the floor on this machine right now: node itself starting and exiting
const bare = timeCommand(['-e', ''], []);
const help = values['skip-times'] ? bare : timeCommand(['--help']);
const check = values['skip-times']
  ? bare
  : timeCommand(['config', 'check', 'examples/sim-gateway.jsonc']);
const lines = values['skip-times']
  ? []
  : [
      `Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}${nodeArgs.length ? `, node ${nodeArgs.join(' ')}` : ''}, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
      `node -e '' (the floor): median ${fmt(bare.medianMs)} ms of ${runs}`,
      `wharf --help: median ${fmt(help.medianMs)} ms of ${runs} (${help.all.map(fmt).join(', ')}) — target ≤ 150 ms: ${help.medianMs <= 150 ? 'met' : 'NOT met'}`,
      `wharf config check examples/sim-gateway.jsonc: median ${fmt(check.medianMs)} ms of ${runs} (${check.all.map(fmt).join(', ')}) — target ≤ 400 ms: ${check.medianMs <= 400 ? 'met' : 'NOT met'}`,
    ];
process.stdout.write(`${lines.join('\n')}\n`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
if (!values['skip-rss']) {
  process.stdout.write(`gateway RSS on Node ${process.version}, load average ${load()}\n`);
  // node's defaults (WHARF_NODE_FLAGS=0: the launcher adds nothing), and the gateway flags
  // (UNIT_NODE_ARGS) as the systemd unit runs it — which is also how plain `wharf run` runs on a
  // node with process.execve (≥ 22.15): bin/wharf.mjs re-execs itself with them
  const hasExecve = typeof (process as { execve?: unknown }).execve === 'function';
  const flagSets: { flags: string[]; env: NodeJS.ProcessEnv; label: string }[] =
    nodeArgs.length > 0
      ? [{ flags: nodeArgs, env: { WHARF_NODE_FLAGS: '0' }, label: nodeArgs.join(' ') }]
      : [
          { flags: [], env: { WHARF_NODE_FLAGS: '0' }, label: "node's defaults" },
          hasExecve
            ? {
                flags: [],
                env: {},
                label: `plain \`wharf run\` (the launcher adds ${UNIT_NODE_ARGS.join(' ')})`,
              }
            : {
                flags: UNIT_NODE_ARGS,
                env: {},
                label: `${UNIT_NODE_ARGS.join(' ')} (as the unit runs it)`,
              },
        ];
  for (const [label, b, r, hz, target] of [
    ['one board (3 readers × 10 Hz)', 1, 3, 10, 60],
    ['50 boards × 10 readers × 200 Hz', 50, 10, 200, 100],
  ] as const) {
    for (const { flags, env, label: how } of flagSets) {
      const x = await rssRun(label, b, r, hz, flags, env);
      process.stdout.write(
        `gateway RSS, ${x.label}, ${how}, after ${seconds} s: ${fmt(x.lastMb)} MB (peak ${fmt(x.peakMb)} MB; private ${fmt(x.privateMb)} MB, the rest is the node executable's shared pages), ${fmt(x.readingsPerS)} readings/s captured — target ≤ ${target} MB: ${x.peakMb <= target ? 'met' : 'NOT met'} (load average ${load()})\n`,
      );
    }
  }
}
