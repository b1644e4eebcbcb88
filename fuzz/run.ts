/**
 * `npm run fuzz [-- --runs N] [--jobs J] [--target NAME] [--seed S]`: every target (or one) in its
 * own worker process, J at a time (default 2). Each runs its corpus and N generated inputs
 * (default 1,000,000; targets on real files run N / costFactor). A worker that reports no progress
 * for --stall seconds (default 120) is killed and reported as a hang. Exit 1 on any crash or hang.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './core.js';
import { TARGETS } from './targets/index.js';
import type { FuzzResult } from './fuzz-one.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    jobs: { type: 'string', default: '2' },
    target: { type: 'string', multiple: true },
    seed: { type: 'string' },
    stall: { type: 'string', default: '120' },
  },
});
const runs = Number(values.runs);
const jobs = Math.max(1, Number(values.jobs));
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
const stallMs = Number(values.stall) * 1000;
const chosen =
  values.target === undefined ? TARGETS : TARGETS.filter((t) => values.target!.includes(t.name));
if (chosen.length === 0) throw new Error(`no such target: ${values.target?.join(', ')}`);

interface Outcome {
  name: string;
  result?: FuzzResult;
  hang?: string;
  error?: string;
}

function runWorker(name: string, n: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'fuzz', 'worker.ts'), name, String(n), String(seed)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let last = Date.now();
    let shown = Date.now();
    let buf = '';
    let result: FuzzResult | undefined;
    let stderr = '';
    let hang: string | undefined;
    const watch = setInterval(() => {
      if (Date.now() - last > stallMs) {
        hang = `no progress for ${stallMs / 1000} s (seed ${seed}); killed`;
        child.kill('SIGKILL');
      }
    }, 1000);
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        last = Date.now();
        const m = JSON.parse(line) as { progress?: number; result?: FuzzResult };
        if (m.result !== undefined) result = m.result;
        else if (m.progress !== undefined && Date.now() - shown > 30_000) {
          shown = Date.now();
          process.stderr.write(`  ${name}: ${m.progress.toLocaleString('en')} inputs\n`);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('exit', () => {
      clearInterval(watch);
      resolve({
        name,
        ...(result ? { result } : {}),
        ...(hang ? { hang } : {}),
        ...(!result && !hang ? { error: stderr } : {}),
      });
    });
  });
}

const started = Date.now();
process.stderr.write(
  `fuzz: ${chosen.length} targets, ${runs.toLocaleString('en')} inputs each, ${jobs} at a time, seed ${seed}\n`,
);
const queue = [...chosen].sort((a, b) => Number(b.slow ?? false) - Number(a.slow ?? false));
const outcomes: Outcome[] = [];
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
      const n = Math.max(1, Math.round(runs / (t.costFactor ?? 1)));
      outcomes.push(await runWorker(t.name, n));
    }
  }),
);
let bad = 0;
process.stdout.write(`\ntarget             inputs      time     slowest  result\n`);
for (const t of chosen) {
  const o = outcomes.find((x) => x.name === t.name)!;
  const r = o.result;
  const status = o.hang
    ? `HANG: ${o.hang}`
    : o.error !== undefined
      ? `WORKER DIED: ${o.error}`
      : r?.failure
        ? 'CRASH'
        : 'ok';
  if (status !== 'ok') bad++;
  process.stdout.write(
    `${t.name.padEnd(18)} ${String(r?.inputs ?? '-').padStart(9)}  ${((r?.ms ?? 0) / 1000).toFixed(0).padStart(6)} s  ${String(r?.slowestMs ?? '-').padStart(6)} ms  ${status}\n`,
  );
  if (r?.failure)
    process.stdout.write(
      `  seed ${r.failure.seed} path ${r.failure.path ?? '-'}\n  input: ${r.failure.counterexample.slice(0, 600)}\n  ${r.failure.message.split('\n').slice(0, 6).join('\n  ')}\n`,
    );
}
process.stdout.write(
  `\n${bad === 0 ? 'no crashes, no hangs' : `${bad} target(s) failed`}; ${((Date.now() - started) / 1000).toFixed(0)} s in all, seed ${seed}\n`,
);
process.exit(bad === 0 ? 0 : 1);
