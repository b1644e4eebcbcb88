/**
 * The Images view in real Chromium against a real cloud (SQLite), seeded through the real ingest
 * path with real JPEGs made by ffmpeg: thumbnails newest first (made by sharp), paging, the shared
 * filters and time presets, keyboard navigation, and the detail with the full image, its metadata
 * and the machine's readings around it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameSplitter } from '../../src/capture/images/frame-splitter.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import { requireTool } from '../helpers/system-tool.js';
import { launch, type Browser } from './browser.js';
import { analog, meta, startCloud, upload, type Cloud } from './seed.js';

const ok =
  requireTool('chromium', 'the web UI tests drive a real Chromium') &&
  requireTool('ffmpeg', 'the image fixtures are made by ffmpeg');

function jpegs(n: number): Buffer[] {
  const r = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=320x240:rate=10',
      '-frames:v',
      String(n),
      '-c:v',
      'mjpeg',
      '-f',
      'image2pipe',
      'pipe:1',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const out: Buffer[] = [];
  new FrameSplitter(
    'jpeg',
    (b) => out.push(b),
    (e) => {
      throw new Error(e);
    },
  ).push(r.stdout);
  if (out.length !== n) throw new Error(`ffmpeg made ${out.length} of ${n} images`);
  return out;
}

const image = (t: number, b: Buffer): CaptureRecord => ({
  kind: 'reading',
  time_requested: t - 5,
  time_received: t,
  data: { image: { size: b.length, mime_type: 'image/jpeg' } },
  binary: b,
});

describe.skipIf(!ok)('Images view in Chromium', () => {
  let cloud: Cloud;
  let b: Browser;
  const now = Date.now();
  // press-1/cell: 60 images, one every 30 s over the last 30 minutes; press-2/dock: 6, 3 hours old
  const cellTimes = Array.from({ length: 60 }, (_, i) => now - 30_000 * i - 1000);
  const dockTimes = Array.from({ length: 6 }, (_, i) => now - 3 * 3600_000 - 60_000 * i);

  beforeAll(async () => {
    cloud = await startCloud();
    const pics = jpegs(66);
    const cell = cellTimes.map((t, i) => image(t, pics[i]!)).reverse();
    for (let i = 0; i < cell.length; i += 10)
      await upload(
        cloud,
        meta('press-1', 'camera', 'cell', 'ReadImage', ['line-a']),
        cell.slice(i, i + 10),
      );
    await upload(
      cloud,
      meta('press-2', 'camera', 'dock', 'ReadImage'),
      dockTimes.map((t, i) => image(t, pics[60 + i]!)).reverse(),
    );
    // a reading of press-1 10 s after the newest image: the detail shows it as a neighbour
    await upload(cloud, meta('press-1', 'board', 'adc', 'Analogs'), [
      analog(cellTimes[0]! + 10_000, 1234, 99),
    ]);
    b = await launch();
  }, 60_000);

  afterAll(async () => {
    await b?.close();
    await cloud?.close();
  });

  const labels = () =>
    b.page
      .locator('#image-grid button.thumb')
      .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));

  it('shows a grid of sharp-made thumbnails newest first, and pages by cursor', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/images`);
    await page.getByLabel('API key').fill(cloud.readKey);
    await page.locator('#login-submit').click();
    await page.locator('#image-grid button.thumb').first().waitFor();
    expect(await page.locator('#image-grid button.thumb').count()).toBe(48);
    const first = await labels();
    expect(first.every((l) => l.startsWith('press-1 / cell'))).toBe(true);
    // the grid's order is the newest 48 of press-1, newest first
    const ids = await page
      .locator('#image-grid button.thumb')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-id')));
    const api = await page.evaluate(async () => {
      const r = await fetch('/api/v1/images?limit=1000&order=asc');
      return ((await r.json()) as { images: { id: number; time_received: number }[] }).images;
    });
    expect(
      api
        .map((x) => x.time_received)
        .slice(-48)
        .reverse(),
    ).toEqual(cellTimes.slice(0, 48));
    expect(ids).toEqual(
      api
        .slice(-48)
        .reverse()
        .map((x) => String(x.id)),
    );
    // thumbnails are real images, made smaller than the 320 px originals
    await expect
      .poll(() =>
        page
          .locator('#image-grid img')
          .first()
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
      )
      .toBe(240);
    const thumb = await page.evaluate(
      async (id) => {
        const r = await fetch(`/api/v1/images/${id}/thumb`);
        return [r.status, r.headers.get('content-type')];
      },
      await page.locator('#image-grid button.thumb').first().getAttribute('data-id'),
    );
    expect(thumb).toEqual([200, 'image/jpeg']);
    // page 2: the other 12 of press-1 and the 6 of press-2, older than page 1
    await page.locator('#img-page-older').click();
    await expect.poll(() => page.locator('#image-grid button.thumb').count()).toBe(18);
    const second = await labels();
    expect(second.slice(-6).every((l) => l.startsWith('press-2 / dock'))).toBe(true);
    expect(await page.locator('#img-page-older').count()).toBe(0);
    await page.locator('#img-page-newer').click();
    await expect.poll(labels).toEqual(first);
    expect(b.errors).toEqual([]);
  });

  it('filters by machine and time preset like the data view; the filter lives in the URL', async () => {
    const { page } = b;
    await page.getByLabel('Machine').fill('press-2');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => (await labels()).length).toBe(6);
    expect(page.url()).toContain('#/images?');
    expect(page.url()).toContain('machine=press-2');
    await page.getByLabel('Time range').selectOption('1h');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#no-images').waitFor();
    await page.getByLabel('Machine').fill('press-1');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => (await labels()).length).toBe(48);
    // the export for ML of exactly this filter, as a command to copy
    await page.locator('#export-images summary').click();
    const cmd = await page.locator('#export-images-cmd').textContent();
    expect(cmd).toMatch(
      /^wharf cloud export --images --out images\/ --machine press-1 --from \d{4}-\d\d-\d\dT[\d:.]+Z$/,
    );
    await page.getByLabel('Image type').selectOption('image/png');
    await page.locator('#no-images').waitFor();
    await page.getByLabel('Image type').selectOption('image/jpeg');
    await expect.poll(async () => (await labels()).length).toBe(48);
  });

  it('keyboard: arrows move through the grid, Enter opens the full image with metadata and neighbouring readings, arrows step, Escape returns', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/images?machine=press-1`);
    const thumbs = page.locator('#image-grid button.thumb');
    await thumbs.first().waitFor();
    await thumbs.first().focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-id'))).toBe(
      await thumbs.nth(1).getAttribute('data-id'),
    );
    const cols = await thumbs.evaluateAll(
      (els) =>
        els.filter((e) => (e as HTMLElement).offsetTop === (els[0] as HTMLElement).offsetTop)
          .length,
    );
    expect(cols).toBeGreaterThan(1);
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-id'))).toBe(
      await thumbs.nth(1 + cols).getAttribute('data-id'),
    );
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    const dlg = page.locator('#image-detail');
    await dlg.waitFor();
    await expect
      .poll(() =>
        page
          .locator('#image-full')
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
      )
      .toBe(320);
    expect(await page.locator('#image-title').textContent()).toBe(
      'Image · press-1 / cell · 1 of 48',
    );
    const metaText = await page.locator('#image-meta').textContent();
    expect(metaText).toContain('image/jpeg');
    expect(metaText).toContain('line-a');
    expect(metaText).toContain(new Date(cellTimes[0]! - 5).toISOString());
    await page.locator('#neighbour-rows').waitFor();
    expect(await page.locator('#neighbour-rows tbody tr').count()).toBe(1);
    expect(await page.locator('#neighbour-rows').textContent()).toContain('a0=1234');
    await page.keyboard.press('ArrowRight');
    await expect
      .poll(() => page.locator('#image-title').textContent())
      .toBe('Image · press-1 / cell · 2 of 48');
    await page.keyboard.press('Escape');
    await expect.poll(() => dlg.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-id'))).toBe(
      await thumbs.nth(1).getAttribute('data-id'),
    );
    expect(b.errors).toEqual([]);
  });

  it('an image reading in the Data view opens with its image', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/data?component_name=cell`);
    await page.locator('#rows tbody tr').first().click();
    await expect
      .poll(() =>
        page
          .locator('#detail-image')
          .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth),
      )
      .toBe(320);
    await page.keyboard.press('Escape');
    expect(b.errors).toEqual([]);
  });

  it('the download button streams exactly the filtered images and images.jsonl as a tar, names in time order; nothing to download is said, not offered', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/images?machine=press-2&range=all`);
    await expect.poll(async () => (await labels()).length).toBe(6);
    const button = page.locator('#export-images-download');
    await expect.poll(() => button.textContent()).toBe('Download 6 images + metadata (.tar)');
    expect(await button.getAttribute('href')).toMatch(
      /^\/api\/v1\/images\/export\.tar\?machine=press-2/,
    );
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toMatch(/^wharf-images-.*\.tar$/);
    const file = join(b.downloads, 'press-2.tar');
    await download.saveAs(file);
    const listed = spawnSync('tar', ['-tf', file], { encoding: 'utf8' });
    expect(listed.status, listed.stderr).toBe(0);
    const names = listed.stdout.trim().split('\n');
    expect(names.at(-1)).toBe('images/images.jsonl');
    const imgs = names.slice(0, -1);
    expect(imgs).toHaveLength(6);
    expect([...imgs].sort()).toEqual(imgs);
    const expected = [...dockTimes]
      .sort((x, y) => x - y)
      .map((t) => `images/${new Date(t - 5).toISOString().replace(/:/g, '-')}_press-2_dock_`);
    imgs.forEach((n, i) => expect(n.startsWith(expected[i]!)).toBe(true));
    const jsonl = spawnSync('tar', ['-xOf', file, 'images/images.jsonl'], { encoding: 'utf8' });
    const ids = jsonl.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);
    const gridIds = await page
      .locator('#image-grid button.thumb')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-id'))));
    expect(ids).toEqual([...gridIds].reverse());
    // a filter without images: the button says so and downloads nothing
    await page.goto(`${cloud.url}/#/images?machine=nobody`);
    await page.locator('#no-images').waitFor();
    await expect
      .poll(() => page.locator('#export-images-note').textContent())
      .toBe('no image to download');
    expect(await button.getAttribute('href')).toBeNull();
    expect(await button.getAttribute('aria-disabled')).toBe('true');
    expect(b.errors).toEqual([]);
  });
});
