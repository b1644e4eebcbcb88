/**
 * scripts/build-ascii.ts: the build rewrites compiled files to ASCII-only text (docs/benchmarks.md,
 * "compiled sources"). The rewrite must not change what the module computes: strings, templates,
 * object keys and a character outside the BMP keep their values; an ASCII file is left byte for
 * byte as tsc wrote it; what esbuild does not escape (a regular expression literal) fails the build.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { asciiOnly } from '../../scripts/build-ascii.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-ascii-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODULE = `
export const s = 'plan → capture dir — 2.0 ± 0.8 V';
const who = 'board';
export const t = \`\${who} → gateway ≤ 1 s\`;
export const re = /^[\\u2014\\u2013-]+ \\u2265 (\\d+)$/;
export const reU = /^\\p{L}+ \\u2192 \\u{1F600}$/u;
export const reText = 'µ' + re.source;
export const astral = '😀';
export const nested = { 'clé': 'valeur', list: ['µs', 'ä'] };
`;

describe('asciiOnly (the build step)', () => {
  it('escapes every non-ASCII character and the module computes the same values', async () => {
    const before = path.join(dir, 'before.mjs');
    const after = path.join(dir, 'after.mjs');
    writeFileSync(before, MODULE);
    writeFileSync(after, MODULE);
    const r = await asciiOnly([after]);
    expect(r.rewritten).toBe(1);
    const text = readFileSync(after, 'utf8');
    expect(/[\u0080-\uffff]/.test(text)).toBe(false);
    const a = (await import(pathToFileURL(before).href)) as Record<string, unknown>;
    const b = (await import(pathToFileURL(after).href)) as Record<string, unknown>;
    expect(b.s).toBe(a.s);
    expect(b.t).toBe(a.t);
    expect(b.astral).toBe(a.astral);
    expect(b.nested).toEqual(a.nested);
    expect(b.reText).toBe(a.reText);
    for (const k of ['re', 'reU'] as const) {
      const x = a[k] as RegExp;
      const y = b[k] as RegExp;
      expect(y.flags).toBe(x.flags);
      for (const probe of ['—– ≥ 12', '-- ≥ 3', 'é → 😀', 'abc → 😀', 'x → y'])
        expect(y.test(probe), `${k} on ${probe}`).toBe(x.test(probe));
    }
  });

  it('leaves an ASCII file untouched, byte for byte', async () => {
    const f = path.join(dir, 'plain.mjs');
    const text = "export const a = 'plain';   // spacing kept\n";
    writeFileSync(f, text);
    expect((await asciiOnly([f])).rewritten).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe(text);
  });

  it('fails the build, naming the file and line, for a non-ASCII regular expression literal', async () => {
    const f = path.join(dir, 'regex.mjs');
    writeFileSync(f, 'export const a = 1;\nexport const re = /a → b/;\n');
    await expect(asciiOnly([f])).rejects.toThrow(/regex\.mjs:2: '→' .*\\u2192/);
  });

  it('fails the build, naming the file, when esbuild cannot parse it', async () => {
    const f = path.join(dir, 'broken.mjs');
    writeFileSync(f, "export const a = '→' +;\n");
    await expect(asciiOnly([f])).rejects.toThrow(/broken\.mjs/);
  });
});
