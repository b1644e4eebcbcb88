/** The UI bundle is built when missing or stale and reused otherwise; the plugin serves only the shell without a key. */
import { cpSync, mkdtempSync, rmSync, appendFileSync, unlinkSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureUiBundle, UI_SOURCE_DIR } from '../../src/cloud/ui/build.js';
import { startCloud, type Cloud } from './seed.js';

describe('web UI bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-ui-build-'));
  const src = join(dir, 'src');
  const out = join(dir, 'out');
  cpSync(UI_SOURCE_DIR, src, { recursive: true });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds when missing, reuses when current, rebuilds when a source changes or a file is gone', async () => {
    const first = await ensureUiBundle({ srcDir: src, outDir: out });
    expect(first.built).toBe(true);
    expect(first.js.length).toBeGreaterThan(20_000);
    expect(first.html).toContain(`/ui/app.js?v=${first.hash}`);
    const again = await ensureUiBundle({ srcDir: src, outDir: out });
    expect(again.built).toBe(false);
    expect(again.hash).toBe(first.hash);
    appendFileSync(join(src, 'format.ts'), '\n// touched\n');
    const stale = await ensureUiBundle({ srcDir: src, outDir: out });
    expect(stale.built).toBe(true);
    expect(stale.hash).not.toBe(first.hash);
    unlinkSync(join(out, 'app.js'));
    const repaired = await ensureUiBundle({ srcDir: src, outDir: out });
    expect(repaired.built).toBe(true);
    expect(readFileSync(join(out, 'app.js'), 'utf8')).toBe(repaired.js);
  });

  it('reports a broken front end as an error naming the build, and leaves the last good bundle in place', async () => {
    appendFileSync(join(src, 'main.ts'), '\nconst broken: = ;\n');
    await expect(ensureUiBundle({ srcDir: src, outDir: out })).rejects.toThrow(
      /web UI build failed/,
    );
    expect(readFileSync(join(out, 'app.js'), 'utf8').length).toBeGreaterThan(20_000);
  });
});

describe('UI plugin on the real cloud server', () => {
  let cloud: Cloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('serves the shell without a key, with a same-origin-only CSP; data routes still answer 401', async () => {
    const page = await fetch(`${cloud.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    const html = await page.text();
    // every asset the page loads is same-origin
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThanOrEqual(2);
    expect(refs.every((r) => r.startsWith('/') || r.startsWith('#'))).toBe(true);
    const js = await fetch(`${cloud.url}/ui/app.js`);
    expect(js.status).toBe(200);
    const etag = js.headers.get('etag')!;
    expect(
      (await fetch(`${cloud.url}/ui/app.js`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);
    expect((await fetch(`${cloud.url}/ui/app.css`)).status).toBe(200);
    for (const route of [
      '/api/v1/readings',
      '/api/v1/series',
      '/api/v1/fleet',
      '/api/v1/export?format=csv',
      '/api/v1/session',
    ]) {
      expect((await fetch(`${cloud.url}${route}`)).status, route).toBe(401);
    }
  });
});
