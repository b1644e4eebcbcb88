/**
 * `npm run soak:crash` — the crash test's long version: many more SIGKILLs of a real child gateway
 * capturing sim boards at 100 Hz, then the same checks (every file readable, no `.prog` left,
 * nothing in failed/, loss per kill within the flush interval, every hole covered by gaps).
 *
 *   npm run soak:crash -- [--kills 200] [--seed N] [--hz 100] [--flush-ms 200] [--keep]
 * Exits 1 when a check fails (the seed is printed so a run can be repeated).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  analyse,
  killCycles,
  readAll,
  startGateway,
  writeCrashConfig,
} from '../test/crash/crash-harness.js';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '200' },
    seed: { type: 'string' },
    hz: { type: 'string', default: '100' },
    'flush-ms': { type: 'string', default: '200' },
    keep: { type: 'boolean', default: false },
  },
});
const kills = Number(values.kills);
const hz = Number(values.hz);
const flushMs = Number(values['flush-ms']);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const batchMs = 20;
const maxLossMs = flushMs + batchMs + 300;

const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-soak-'));
const captureDir = path.join(dir, 'capture');
console.log(
  `soak:crash: ${kills} SIGKILLs, ${hz} Hz, flush every ${flushMs} ms, seed ${seed}, dir ${dir}`,
);
const configFile = await writeCrashConfig({ dir, hz, flushMs, batchMs });
const problems: string[] = [];
const t0 = Date.now();
const record = await killCycles({
  configFile,
  captureDir,
  kills,
  seed,
  earlyEvery: 5,
  minRunMs: 20,
  maxRunMs: 1500,
  onRestart: (i, bad) => problems.push(...bad.map((b) => `after restart ${i}: unreadable ${b}`)),
  log: (line) => {
    if (Number(/kill (\d+)/.exec(line)?.[1]) % 10 === 0)
      console.log(`  ${line} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  },
});
const last = startGateway(configFile, ['--duration', '1']);
const ex = await last.exited;
if (ex.code !== 0) problems.push(`final clean run exited ${ex.code}: ${last.output()}`);
const { streams, progFiles, failed, unreadable } = await readAll(captureDir);
if (progFiles.length > 0) problems.push(`.prog files left: ${progFiles.join(', ')}`);
if (failed.length > 0) problems.push(`files moved to failed/: ${failed.join(', ')}`);
problems.push(...unreadable.map((u) => `unreadable: ${u}`));
for (const s of analyse(streams, record, hz)) {
  const maxLost = Math.max(0, ...s.lostPerKill);
  const mean = s.lostPerKill.reduce((a, b) => a + b, 0) / Math.max(1, s.lostPerKill.length);
  console.log(
    `  ${s.key}: ${s.readings} readings, lost per kill mean ${mean.toFixed(1)} max ${maxLost} (bound ${((maxLossMs * hz) / 1000).toFixed(0)}), duplicates ${s.duplicates}, gaps ${JSON.stringify(s.gapsByReason)}`,
  );
  if (maxLost > (maxLossMs * hz) / 1000) problems.push(`${s.key}: a kill lost ${maxLost} readings`);
  if (s.duplicates > 0) problems.push(`${s.key}: ${s.duplicates} duplicate readings`);
  for (const u of s.uncovered)
    problems.push(
      `${s.key}: hole ${new Date(u.from).toISOString()} +${(u.to - u.from).toFixed(0)} ms not covered by gaps (${u.near.join('; ')})`,
    );
}
console.log(
  `soak:crash: ${record.length} kills (${record.filter((k) => k.capturing).length} while capturing) in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
if (problems.length > 0) {
  console.log(`FAILED (seed ${seed}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  console.log(`capture dir kept: ${captureDir}`);
  process.exitCode = 1;
} else {
  console.log(
    'OK: every file readable, nothing left unfinished, every loss within the flush interval and covered by gaps',
  );
  if (values.keep !== true) rmSync(dir, { recursive: true, force: true });
}
