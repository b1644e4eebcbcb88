/**
 * `npm run build`: everything the `wharf` command runs, in dist/ (what the package ships).
 *   1. tsc -p tsconfig.build.json: src/ → dist/ (ES2022 modules, comments removed), plus src's
 *      non-TS files (.mjs); then every file rewritten ASCII-only (scripts/build-ascii.ts)
 *   2. the web UI bundle (esbuild) → dist/ui/
 *   3. the demo's firmware bundles (firmware/tools: tsc ES5 + terser + gates) → dist/firmware/
 *   4. dist/build-info.json, last: bin/wharf.mjs runs dist/ only when it is newer than src/
 * Build tools (typescript, esbuild, terser, tsx) are devDependencies; nothing in dist/ imports them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFirmware, type FirmwareSettings } from '../firmware/tools/build.js';
import { asciiOnly } from './build-ascii.js';
import { demoBundleFile, demoFirmwareSettings } from '../src/app/demo-firmware.js';
import { buildUi } from '../src/cloud/ui/build.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
/** Folders of dist/ that tsc does not own. */
const NOT_TSC = new Set(['ui', 'firmware']);

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

function step(name: string, started: number): void {
  process.stdout.write(`  ${name}: ${Date.now() - started} ms\n`);
}

async function compile(): Promise<void> {
  const t = Date.now();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error(`tsc failed (exit ${r.status ?? r.signal})`);
  const files = await walk(SRC);
  for (const f of files.filter((f) => f.endsWith('.mjs'))) {
    const to = path.join(DIST, path.relative(SRC, f));
    await mkdir(path.dirname(to), { recursive: true });
    await copyFile(f, to);
  }
  // drop compiled files whose source is gone (renames, deletions)
  const have = new Set(files.map((f) => path.relative(SRC, f).replace(/\.ts$/, '.js')));
  for (const f of await walk(DIST)) {
    const rel = path.relative(DIST, f);
    if (NOT_TSC.has(rel.split(path.sep)[0] ?? '') || !/\.m?js$/.test(rel)) continue;
    if (!have.has(rel)) await rm(f);
  }
  step('tsc src → dist', t);
  const a = Date.now();
  const js = (await walk(DIST)).filter(
    (f) => /\.m?js$/.test(f) && !NOT_TSC.has(path.relative(DIST, f).split(path.sep)[0] ?? ''),
  );
  const ascii = await asciiOnly(js);
  step(`ASCII-only sources (${ascii.rewritten} of ${js.length} rewritten)`, a);
}

async function ui(): Promise<void> {
  const t = Date.now();
  await buildUi({ outDir: path.join(DIST, 'ui') });
  step('web UI → dist/ui', t);
}

async function firmware(): Promise<void> {
  const t = Date.now();
  for (const transport of ['serial', 'mqtt'] as const) {
    const r = await buildFirmware(demoFirmwareSettings(transport) as FirmwareSettings, {
      write: false,
    });
    const file = demoBundleFile(transport);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, r.code);
  }
  step('demo firmware bundles → dist/firmware', t);
}

const started = Date.now();
if (!existsSync(SRC)) throw new Error(`no sources at ${SRC}`);
await mkdir(DIST, { recursive: true });
await rm(path.join(DIST, 'build-info.json'), { force: true });
await compile();
await ui();
await firmware();
await writeFile(
  path.join(DIST, 'build-info.json'),
  `${JSON.stringify({ built_at: new Date().toISOString(), node: process.version }, null, 2)}\n`,
);
process.stdout.write(
  `wharf built into ${path.relative(process.cwd(), DIST) || DIST} in ${Date.now() - started} ms\n`,
);
