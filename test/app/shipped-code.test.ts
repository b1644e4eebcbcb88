/**
 * Shipped code stays shippable: nothing under src/ (what `npm run build` compiles and `npm pack`
 * ships) imports test/, hil/, bench/ or firmware/ code, or statically imports a build-only tool;
 * the firmware toolchain is reached only through src/app/firmware-toolchain.ts, whose interfaces
 * the real firmware/tools modules satisfy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  loadFirmwareBuild,
  type FirmwareBuildTools,
  type FirmwareFlashTools,
} from '../../src/app/firmware-toolchain.js';
import * as realBuild from '../../firmware/tools/build.js';
import * as realFlash from '../../firmware/tools/flash.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD_ONLY = [
  'typescript',
  'tsx',
  'esbuild',
  'terser',
  'acorn',
  'vitest',
  'uplot',
  'espruino',
];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? files(path.join(dir, e.name))
      : /\.(ts|mjs)$/.test(e.name)
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('shipped code', () => {
  it('imports nothing from test/, hil/, bench/, firmware/ and no build-only package statically', () => {
    const bad: string[] = [];
    const STATIC = /^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm;
    const src = path.join(ROOT, 'src');
    for (const f of files(src)) {
      // the web UI front end is bundled by esbuild at build time, not run by Node
      if (f.startsWith(path.join(src, 'cloud', 'ui', 'app'))) continue;
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(STATIC)) {
        const spec = m[1]!;
        const target = spec.startsWith('.') ? path.resolve(path.dirname(f), spec) : null;
        const outside = target !== null && !target.startsWith(src + path.sep);
        const pkg = spec.startsWith('@')
          ? spec.split('/').slice(0, 2).join('/')
          : spec.split('/')[0]!;
        if (outside || BUILD_ONLY.includes(pkg)) bad.push(`${path.relative(ROOT, f)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the firmware toolchain seam matches firmware/tools and builds a bundle in a checkout', async () => {
    const b: FirmwareBuildTools = realBuild; // compile-time: the seam's view of the real module
    const f: FirmwareFlashTools = realFlash;
    expect(typeof b.buildFirmware).toBe('function');
    expect(typeof f.flashFirmware).toBe('function');
    const tools = await loadFirmwareBuild();
    const r = await tools.buildFirmware(
      { transport: 'serial', boardId: 'seam-test' },
      { write: false },
    );
    expect(r.code).toContain('seam-test');
    expect(r.manifest.bytes).toBe(Buffer.byteLength(r.code));
  }, 60_000);
});
