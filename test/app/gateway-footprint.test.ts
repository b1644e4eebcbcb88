/**
 * What a capturing gateway loads of node itself, seen from a real `wharf run` child process: no TLS,
 * HTTP/2, HTTPS or fetch (undici) unless the config asks for something that needs them. Each of
 * those costs resident memory a Pi gateway does not have to spare (on Node 24: tls +5 MB, an ESM
 * import of node:http that pulls http2 + undici +14 MB; docs/benchmarks.md "start time and memory").
 * A preload writes `process.moduleLoadList` when the gateway exits after a clean SIGTERM.
 *
 * Also: `wharf run` does not turn on node's compile cache (a gateway that loads its modules from
 * the cache keeps their bytecode: ~1.3 MB more heap on Node 24), the short commands do.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { writeCrashConfig } from '../crash/crash-harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin/wharf.mjs');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-footprint-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('a capturing sim gateway loads no tls, https, http2 or undici', async () => {
  const config = await writeCrashConfig({ dir, hz: 10, flushMs: 200, batchMs: 50 });
  const list = path.join(dir, 'modules.json');
  const preload = path.join(dir, 'preload.mjs');
  await writeFile(
    preload,
    `import { writeFileSync } from 'node:fs';\nimport module from 'node:module';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(list)}, JSON.stringify({ loaded: process.moduleLoadList, cacheDir: module.getCompileCacheDir?.() ?? null })));\n`,
  );
  // nothing in this environment may turn the compile cache off for the launcher: that is its job
  const env: NodeJS.ProcessEnv = { ...process.env, WHARF_LOG_LEVEL: 'warn', WHARF_NODE_FLAGS: '0' };
  delete env.NODE_DISABLE_COMPILE_CACHE;
  delete env.NODE_COMPILE_CACHE;
  const proc = spawn(process.execPath, ['--import', preload, BIN, 'run', '--config', config], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  let out = '';
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string | null>((r) =>
    proc.once('exit', (code, signal) => r(code ?? signal)),
  );
  try {
    const until = Date.now() + 30_000;
    // capturing, and the status listener (node:http) is up: everything a running gateway loads
    while (!(out.includes('wharf: capturing') && /status: http:\/\//.test(out))) {
      if (Date.now() > until || proc.exitCode !== null)
        throw new Error(`the gateway did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    proc.kill('SIGTERM');
    expect(await exited, `the gateway's exit after SIGTERM; its output:\n${out}`).toBe(0);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
  }
  const { loaded, cacheDir } = JSON.parse(await readFile(list, 'utf8')) as {
    loaded: string[];
    cacheDir: string | null;
  };
  expect(cacheDir, 'the compile cache of a running gateway').toBeNull();
  // positive control: the list is the real one (the gateway did load its HTTP listener and zlib)
  expect(loaded).toContain('NativeModule http');
  expect(loaded).toContain('NativeModule zlib');
  const heavy = loaded.filter((m) =>
    /^NativeModule (tls|https|http2|internal\/deps\/undici\/undici)$/.test(m),
  );
  expect(heavy, 'node modules a sim gateway should not load').toEqual([]);
});

// node ≥ 22.1 has the compile cache (module.getCompileCacheDir); Node 20 has nothing to turn on
const hasCompileCache =
  typeof (module as { getCompileCacheDir?: unknown }).getCompileCacheDir === 'function';

it.skipIf(!hasCompileCache)(
  'a short command (config check) does use the compile cache',
  async () => {
    const config = await writeCrashConfig({ dir, hz: 10, flushMs: 200, batchMs: 50 });
    const out = path.join(dir, 'cache.json');
    const preload = path.join(dir, 'preload.mjs');
    await writeFile(
      preload,
      `import { writeFileSync } from 'node:fs';\nimport module from 'node:module';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify(module.getCompileCacheDir() ?? null)));\n`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, WHARF_NODE_FLAGS: '0' };
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const code = await new Promise<number | null>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', preload, BIN, 'config', 'check', config], {
        cwd: ROOT,
        stdio: 'ignore',
        env,
      });
      p.once('error', reject);
      p.once('exit', resolve);
    });
    expect(code).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(expect.any(String));
  },
);
