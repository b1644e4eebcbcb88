#!/usr/bin/env node
// wharf's command-line entry. Runs the compiled JavaScript in dist/ (`npm run build`; an installed
// package ships it). In a source checkout (tsconfig.json beside bin/) whose src/ is newer than the
// last build, it runs the TypeScript sources through tsx (a devDependency) instead, so edits take
// effect without a build step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// `wharf run`, a gateway left running for months, runs node with the V8 flags the systemd unit
// gives it (keep equal to UNIT_NODE_ARGS in src/app/service-unit.ts; the reasons are there). Where
// node has process.execve (≥ 22.15, 24) the launcher replaces itself by `node FLAGS wharf.mjs run …`
// (same pid, stdio and environment; one more node start, ~30 ms) with each flag the user did not
// give already (by name, on node's command line or in NODE_OPTIONS: theirs wins), unless
// WHARF_NODE_FLAGS=0. Node 20 has no execve: there only the unit (or the user) sets them.
// docs/pi.md, docs/benchmarks.md.
const GATEWAY_NODE_ARGS = ['--max-semi-space-size=1', '--v8-pool-size=1'];
// `wharf cloud serve`: Node 24's V8 grows the young generation further than Node 20's before it
// collects, and a runaway export's garbage then shows as +54–67 MB of server RSS instead of < 50
// (test/cloud/sql-bounds.test.ts on Node 24, CI; Node 20 stays under). A 16 MB cap per semi-space
// keeps the young generation near the size those bounds and the ingest figures were measured with.
const CLOUD_NODE_ARGS = ['--max-semi-space-size=16'];
const args = process.argv.slice(2);
const flagName = (a) => a.split('=')[0].replace(/_/g, '-');
const given = new Set(
  [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map(flagName),
);
const missing = (
  args[0] === 'run'
    ? GATEWAY_NODE_ARGS
    : args[0] === 'cloud' && args[1] === 'serve'
      ? CLOUD_NODE_ARGS
      : []
).filter((a) => !given.has(flagName(a)));
if (
  missing.length > 0 &&
  typeof process.execve === 'function' &&
  process.env.WHARF_NODE_FLAGS !== '0'
) {
  const self = fileURLToPath(import.meta.url);
  process.execve(
    process.execPath,
    [process.execPath, ...process.execArgv, ...missing, self, ...args],
    process.env,
  );
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'build-info.json');

function newerThan(dir, ms) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() ? newerThan(p, ms) : statSync(p).mtimeMs > ms) return true;
  }
  return false;
}

function useDist() {
  if (!existsSync(built)) return false;
  if (!existsSync(join(root, 'tsconfig.json'))) return true; // an installed package
  return !newerThan(join(root, 'src'), statSync(built).mtimeMs);
}

let main;
if (useDist()) {
  // Node ≥ 22.1: V8 code cache on disk (os.tmpdir()/node-compile-cache), so the second start of a
  // command does not compile its modules again (NODE_DISABLE_COMPILE_CACHE=1 turns it off). Not for
  // `wharf run`: a function loaded from the cache arrives with its bytecode, compiled or not, and
  // the gateway then keeps ~1.3 MB more of heap for its whole life (Node 24, one board), to save
  // 10–30 ms once per start (docs/benchmarks.md, "the compile cache").
  if (args[0] !== 'run') module.enableCompileCache?.();
  ({ main } = await import(pathToFileURL(join(root, 'dist', 'cli', 'main.js')).href));
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      `wharf: ${existsSync(built) ? 'dist/ is older than src/' : 'dist/ is missing'} and tsx is not installed; run 'npm run build' (or 'npm install' in the checkout)\n`,
    );
    process.exit(1);
  }
  register();
  ({ main } = await import(pathToFileURL(join(root, 'src', 'cli', 'main.ts')).href));
}
process.exitCode = await main(args);
