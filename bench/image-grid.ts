/**
 * The image grid with a large store: seeds N images (default 100,000; 320×240 JPEGs made by ffmpeg,
 * 4 cameras on 2 machines, one image per second each) through the real ingest path, then measures
 *  - `GET /api/v1/images?limit=48` first page, a filtered first page, and pages deep in the
 *    history (following next_cursor), median / p95;
 *  - the Images view in real Chromium: first page with its 48 thumbnails loaded (cold: sharp makes
 *    them), and "Older →" page turns.
 *
 *   node --import tsx bench/image-grid.ts [--images 100000] [--no-browser]
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { FrameSplitter } from '../src/capture/images/frame-splitter.js';
import type { CaptureRecord } from '../src/shared/record.js';
import { launch } from '../test/ui/browser.js';
import { meta, startCloud, upload } from '../test/ui/seed.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '100000' },
    'no-browser': { type: 'boolean', default: false },
  },
});
const TOTAL = Number(values.images);
const CAMS = [
  ['press-1', 'cell'],
  ['press-1', 'door'],
  ['press-2', 'dock'],
  ['press-2', 'belt'],
] as const;
const PER_FILE = 1000;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;

const r = spawnSync(
  'ffmpeg',
  [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=320x240:rate=25',
    '-frames:v',
    '250',
    '-c:v',
    'mjpeg',
    '-f',
    'image2pipe',
    'pipe:1',
  ],
  { maxBuffer: 256 * 1024 * 1024 },
);
const pics: Buffer[] = [];
new FrameSplitter(
  'jpeg',
  (b) => pics.push(b),
  (e) => {
    throw new Error(e);
  },
).push(r.stdout);

const cloud = await startCloud();
try {
  const now = Date.now();
  const perCam = Math.ceil(TOTAL / CAMS.length);
  const t0 = Date.now();
  let n = 0;
  for (const [machine, cam] of CAMS) {
    for (let i = 0; i < perCam; i += PER_FILE) {
      const recs: CaptureRecord[] = [];
      for (let k = i; k < Math.min(perCam, i + PER_FILE); k++) {
        const t = now - (perCam - k) * 1000;
        const b = pics[(k * 7 + cam.length) % pics.length]!;
        recs.push({
          kind: 'reading',
          time_requested: t - 3,
          time_received: t,
          data: { image: { size: b.length, mime_type: 'image/jpeg' } },
          binary: b,
        });
      }
      await upload(cloud, meta(machine, 'camera', cam, 'ReadImage'), recs);
      n += recs.length;
    }
  }
  const seedS = (Date.now() - t0) / 1000;
  console.log(
    `wharf image grid bench: ${n} images (${pics.length} distinct 320x240 JPEGs, ~${(pics[0]!.length / 1024).toFixed(0)} KiB) seeded through ingest in ${seedS.toFixed(1)} s (${(n / seedS).toFixed(0)} images/s)`,
  );

  const get = async (
    q: string,
  ): Promise<{ ms: number; body: { images: unknown[]; next_cursor: string | null } }> => {
    const s = performance.now();
    const res = await fetch(`${cloud.url}/api/v1/images?${q}`, {
      headers: { authorization: `Bearer ${cloud.readKey}` },
    });
    const body = (await res.json()) as { images: unknown[]; next_cursor: string | null };
    return { ms: performance.now() - s, body };
  };
  for (const [label, q] of [
    ['first page', 'limit=48'],
    ['first page, component_name=dock', 'limit=48&component_name=dock'],
    ['first page, last hour', `limit=48&from=${now - 3600_000}`],
  ] as const) {
    const xs: number[] = [];
    for (let i = 0; i < 20; i++) xs.push((await get(q)).ms);
    console.log(`  API ${label}: median ${median(xs).toFixed(1)} ms, p95 ${p95(xs).toFixed(1)} ms`);
  }
  const deep: number[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 200; i++) {
    const p = await get(`limit=48${cursor ? `&cursor=${cursor}` : ''}`);
    deep.push(p.ms);
    cursor = p.body.next_cursor;
    if (cursor === null) break;
  }
  console.log(
    `  API pages 1-${deep.length} by cursor (to ~${deep.length * 48} images deep): median ${median(deep).toFixed(1)} ms, p95 ${p95(deep).toFixed(1)} ms, last ${deep.at(-1)!.toFixed(1)} ms`,
  );

  if (values['no-browser'] !== true) {
    const b = await launch();
    try {
      const { page } = b;
      await page.goto(`${cloud.url}/#/images`);
      await page.getByLabel('API key').fill(cloud.readKey);
      const s = performance.now();
      await page.locator('#login-submit').click();
      await page.locator('#image-grid button.thumb').first().waitFor();
      const allLoaded = () =>
        page.waitForFunction(
          () => {
            const imgs = Array.from(document.querySelectorAll<HTMLImageElement>('#image-grid img'));
            return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
          },
          undefined,
          { timeout: 60_000 },
        );
      await allLoaded();
      console.log(
        `  Chromium: first page (48 thumbnails made by sharp, cold) visible in ${(performance.now() - s).toFixed(0)} ms (API ${await page.evaluate(() => document.body.dataset.imagesMs)} ms)`,
      );
      const turns: number[] = [];
      for (let i = 0; i < 5; i++) {
        const before = await page
          .locator('#image-grid button.thumb')
          .first()
          .getAttribute('data-id');
        const t = performance.now();
        await page.locator('#img-page-older').click();
        await page.waitForFunction(
          (id) =>
            document.querySelector('#image-grid button.thumb')?.getAttribute('data-id') !== id,
          before,
        );
        await allLoaded();
        turns.push(performance.now() - t);
      }
      console.log(
        `  Chromium: "Older →" page turn with 48 new thumbnails: median ${median(turns).toFixed(0)} ms (${turns.map((x) => x.toFixed(0)).join(', ')})`,
      );
    } finally {
      await b.close();
    }
  }
} finally {
  await cloud.close();
}
