/** Real Debian Chromium driven by playwright-core, with a fresh profile each launch. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { findTool } from '../helpers/system-tool.js';

export const ARTIFACTS = join(process.cwd(), 'test-artifacts');

export interface Browser {
  context: BrowserContext;
  page: Page;
  downloads: string;
  /** Browser console errors and uncaught page errors (a test asserts there were none). */
  errors: string[];
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const exe = findTool('chromium') ?? '/usr/bin/chromium';
  const profile = mkdtempSync(join(tmpdir(), 'wharf-chromium-'));
  const downloads = join(profile, 'downloads');
  mkdirSync(downloads);
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    downloadsPath: downloads,
    timeout: 30_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // Chromium logs every 4xx answer; the 401s (before login) and the 400 (refused SQL) are the
    // refusals the tests provoke and the UI shows. Anything else is a bug.
    if (m.type() === 'error' && !/Failed to load resource: .*status of 40[01]/.test(m.text()))
      errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    downloads,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

interface Scan {
  b64: string;
  /** Columns [x0, x1) as fractions of the width. */
  x0: number;
  x1: number;
  /** Count pixels within `tolerance` of this colour (null: count colours and inked pixels instead). */
  rgb: [number, number, number] | null;
  tolerance: number;
}

/** Decodes a PNG in the page (the browser's own decoder) and counts pixels in a column band. */
function scanPng(
  page: Page,
  png: Buffer,
  o: Omit<Scan, 'b64'>,
): Promise<{ colours: number; inked: number; near: number; pixels: number }> {
  return page.evaluate(
    async ({ b64, x0, x1, rgb, tolerance }: Scan) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const from = Math.floor(c.width * x0);
      const to = Math.ceil(c.width * x1);
      const d = ctx.getImageData(from, 0, Math.max(1, to - from), c.height).data;
      const seen = new Set<number>();
      let inked = 0;
      let near = 0;
      for (let i = 0; i < d.length; i += 4) {
        const r = d[i]!;
        const g = d[i + 1]!;
        const b = d[i + 2]!;
        if (rgb !== null) {
          if (Math.abs(r - rgb[0]) + Math.abs(g - rgb[1]) + Math.abs(b - rgb[2]) <= tolerance)
            near++;
          continue;
        }
        seen.add((r << 16) | (g << 8) | b);
        if (r < 240 || g < 240 || b < 240) inked++;
      }
      return { colours: seen.size, inked, near, pixels: c.width * c.height };
    },
    { b64: png.toString('base64'), ...o },
  );
}

/** Counts distinct colours and non-white pixels of a PNG by decoding it in the page. */
export async function pngStats(
  page: Page,
  png: Buffer,
): Promise<{ colours: number; inked: number; pixels: number }> {
  const { colours, inked, pixels } = await scanPng(page, png, {
    x0: 0,
    x1: 1,
    rgb: null,
    tolerance: 0,
  });
  return { colours, inked, pixels };
}

/** Pixels of a PNG within `tolerance` of an RGB colour, inside columns [x0, x1) given as fractions of the width. */
export async function pixelsNear(
  page: Page,
  png: Buffer,
  rgb: [number, number, number],
  x0: number,
  x1: number,
  tolerance = 60,
): Promise<number> {
  return (await scanPng(page, png, { x0, x1, rgb, tolerance })).near;
}
