/**
 * The web UI in real Chromium against a real cloud (buildCloudServer + SQLite), seeded through the
 * real ingest path. One browser for the file; the steps run in order, like a user's session.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgUser } from '../cloud/pg-helper.js';
import { requireTool } from '../helpers/system-tool.js';
import { ARTIFACTS, launch, pixelsNear, pngStats, type Browser } from './browser.js';
import { analog, meta, seedFixture, startCloud, upload, type Cloud } from './seed.js';

const hasChromium = requireTool('chromium', 'the web UI tests drive a real Chromium');
const pg = hasChromium ? await pgUser() : null;

describe.skipIf(!hasChromium)('web UI in Chromium, SQLite store', () => uiSuite(undefined));
describe.skipIf(!hasChromium || pg === null)('web UI in Chromium, PostgreSQL store', () =>
  uiSuite(pg ?? undefined),
);

/** The same user session against either store. */
function uiSuite(user: string | undefined): void {
  let cloud: Cloud;
  let b: Browser;
  let seeded: Awaited<ReturnType<typeof seedFixture>>;

  beforeAll(async () => {
    cloud = await startCloud(user === undefined ? {} : { pgUser: user });
    seeded = await seedFixture(cloud);
    b = await launch();
  });

  afterAll(async () => {
    await b?.close();
    await cloud?.close();
  });

  const machinesShown = async (): Promise<string[]> =>
    b.page.locator('#rows tbody tr td:nth-child(2)').allTextContents();

  it('refuses everything without a key: login form only, API answers 401, a wrong key is rejected', async () => {
    const { page } = b;
    expect((await fetch(`${cloud.url}/api/v1/readings`)).status).toBe(401);
    expect((await fetch(`${cloud.url}/api/v1/export?format=csv`)).status).toBe(401);
    await page.goto(`${cloud.url}/#/data?machine=press-1`);
    await page.locator('#login-form').waitFor();
    expect(await page.locator('#rows').count()).toBe(0);
    expect(await page.locator('#nav').isHidden()).toBe(true);
    // the page itself cannot fetch data either
    expect(await page.evaluate(async () => (await fetch('/api/v1/readings')).status)).toBe(401);
    await page.getByLabel('API key').fill('wharf_000000000000_not-a-real-key-at-all-000000');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#login-error').textContent()).toMatch(/not accepted/);
    expect(await page.locator('#rows').count()).toBe(0);
  });

  it('logs in with an API key into an HTTP-only cookie and shows readings newest first', async () => {
    const { page } = b;
    await page.getByLabel('API key').fill(cloud.readKey);
    await page.locator('#login-submit').click();
    await page.locator('#rows tbody tr').first().waitFor();
    const cookie = (await b.context.cookies()).find((c) => c.name === 'wharf_session');
    expect(cookie?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain('wharf_session');
    // the bookmarked filter survived the login
    expect(await page.getByLabel('Machine').inputValue()).toBe('press-1');
    expect(new Set(await machinesShown())).toEqual(new Set(['press-1']));
    const times = await page.locator('#rows tbody tr td.time').allTextContents();
    expect(times.length).toBe(50);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('filters by machine and time preset: rows change and the filter lives in the URL', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/data`);
    await page.locator('#rows tbody tr').first().waitFor();
    await page.getByLabel('Machine').fill('press-2');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => new Set(await machinesShown())).toEqual(new Set(['press-2']));
    expect(page.url()).toContain('machine=press-2');
    // press-2's data is 3 hours old: "Last hour" leaves nothing
    await page.getByLabel('Time range').selectOption('1h');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#no-rows').waitFor();
    expect(page.url()).toMatch(/range=1h/);
    // clear the machine: the last hour holds only press-1
    await page.getByLabel('Machine').fill('');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => new Set(await machinesShown())).toEqual(new Set(['press-1']));
    // a bookmark restores the view
    await page.goto(`${cloud.url}/#/data?machine=press-2&range=24h`);
    await page.reload();
    await expect.poll(async () => new Set(await machinesShown())).toEqual(new Set(['press-2']));
    expect(await page.getByLabel('Time range').inputValue()).toBe('24h');
    // cursor paging: the second page continues where the first stopped
    const first = await page.locator('#rows tbody tr td.time').allTextContents();
    await page.locator('#page-older').click();
    await expect.poll(() => page.url()).toContain('cursor=');
    await page.locator('#page-info').waitFor();
    // the older page has replaced the rows (they are re-rendered after the URL changes)
    const rowTimes = () => page.locator('#rows tbody tr td.time').allTextContents();
    await expect
      .poll(async () => {
        const t = await rowTimes();
        return t.length === 50 && t[0] !== first[0];
      })
      .toBe(true);
    const second = await rowTimes();
    expect(second.length).toBe(50);
    expect(second[0]! < first[first.length - 1]!).toBe(true);
    await page.locator('#page-newer').click();
    await expect
      .poll(() => page.locator('#rows tbody tr td.time').first().textContent())
      .toBe(first[0]);
  });

  it('opens a detail with every field of a reading; Escape closes it', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/data?machine=press-1&component_name=adc&kind=reading`);
    const row = page.locator('#rows tbody tr').first();
    await row.click();
    const dlg = page.getByRole('dialog');
    await dlg.waitFor();
    const text = (await dlg.textContent()) ?? '';
    for (const label of [
      'Time requested',
      'Time received',
      'Machine',
      'Part',
      'Component type',
      'Component name',
      'Method',
      'Tags',
      'Additional parameters',
      'Data',
    ]) {
      expect(text).toContain(label);
    }
    expect(text).toContain('press-1-part');
    expect(text).toContain('line-a');
    expect(await dlg.locator('table th[scope=row]').allTextContents()).toEqual(['a0', 'a1']);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  });

  it('draws analog and GPIO charts with the gap shaded, reason on hover, and drag narrows the range', async () => {
    const { page } = b;
    const from = new Date(seeded.gapStart - 60_000).toISOString();
    const to = new Date(seeded.gapEnd + 60_000).toISOString();
    await page.goto(`${cloud.url}/#/charts?machine=press-1&range=custom&from=${from}&to=${to}`);
    await page.waitForFunction(
      () => document.body.dataset.chartMs !== undefined && document.body.dataset.view === 'charts',
    );
    const analogChart = page.locator('figure.chart[data-kind=analog]');
    expect(await analogChart.count()).toBe(1);
    expect(await page.locator('figure.chart[data-kind=gpio]').count()).toBe(1);
    const plot = analogChart.locator('.uplot');
    const png = await plot.screenshot({ path: join(ARTIFACTS, 'ui-chart.png') });
    const stats = await pngStats(page, png);
    expect(stats.colours).toBeGreaterThan(20);
    expect(stats.inked / stats.pixels).toBeGreaterThan(0.02);
    // the gap (37.5 %..62.5 % of the x axis) is shaded, and no line is drawn across it
    const over = analogChart.locator('.u-over');
    const area = await over.screenshot();
    const blue: [number, number, number] = [0x1f, 0x77, 0xb4];
    const shade: [number, number, number] = [248, 226, 223];
    expect(await pixelsNear(page, area, blue, 0.05, 0.33)).toBeGreaterThan(50);
    expect(await pixelsNear(page, area, blue, 0.4, 0.6)).toBe(0);
    expect(await pixelsNear(page, area, shade, 0.4, 0.6, 24)).toBeGreaterThan(1000);
    expect(await pixelsNear(page, area, shade, 0.05, 0.33, 24)).toBeLessThan(100); // only anti-aliased edges of the red line
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await expect
      .poll(() => analogChart.locator('.gap-tip').textContent())
      .toContain('board_offline');
    expect(await analogChart.locator('.gap-tip').isVisible()).toBe(true);
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await expect.poll(() => analogChart.locator('.gap-tip').isHidden()).toBe(true);
    // drag from 10 % to 30 %: the range narrows to about that window
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => decodeURIComponent(page.url())).not.toContain(from);
    const p = new URLSearchParams(page.url().split('?')[1]);
    const nf = Date.parse(p.get('from')!);
    const nt = Date.parse(p.get('to')!);
    const span = seeded.gapEnd + 60_000 - (seeded.gapStart - 60_000);
    expect(nf).toBeGreaterThan(seeded.gapStart - 60_000 + span * 0.05);
    expect(nt).toBeLessThan(seeded.gapStart - 60_000 + span * 0.35);
    expect(p.get('machine')).toBe('press-1');
  });

  it('runs a SQL query, shows refusals, and downloads exports of the filter and of the query', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/sql?machine=press-2`);
    const editor = page.getByLabel(/Read-only SQL/);
    await editor.fill(
      "SELECT machine, count(*) AS n FROM readings WHERE kind = 'reading' GROUP BY machine ORDER BY machine",
    );
    await editor.press('Control+Enter');
    await page.locator('#sql-table').waitFor();
    const cells = await page
      .locator('#sql-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent)),
      );
    expect(cells).toEqual([
      ['press-1', String(seeded.press1)],
      ['press-2', String(seeded.press2)],
    ]);
    await editor.fill('DROP TABLE records');
    await page.getByRole('button', { name: 'Run query' }).click();
    await expect
      .poll(() => page.locator('#sql-error').textContent())
      .toMatch(/DROP|read-only|refused/i);
    // export of the current filter (machine=press-2) as CSV
    const [dl] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a.export[data-format=csv]').click(),
    ]);
    const csv = readFileSync((await dl.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(csv.length).toBe(seeded.press2 + 1);
    expect(csv[0]).toContain('machine');
    expect(csv.slice(1).every((l) => l.includes('press-2'))).toBe(true);
    // export of a query as JSON lines
    await editor.fill(
      "SELECT machine, time_received FROM readings WHERE machine = 'press-1' AND kind = 'reading' ORDER BY time_received LIMIT 7",
    );
    const [dl2] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('a.export-sql[data-format=jsonl]').click(),
    ]);
    const lines = readFileSync((await dl2.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines.length).toBe(7);
    expect(JSON.parse(lines[0]!)).toMatchObject({ machine: 'press-1' });
  });

  it('the filter bar is labelled and works with the keyboard alone', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/data`);
    await page.locator('#rows tbody tr').first().waitFor();
    // every control of the filter bar has a label (accessible name)
    const unlabelled = await page.locator('form.filterbar').evaluate((form) =>
      Array.from(form.querySelectorAll('input, select, button'))
        .filter(
          (el) =>
            !(
              (el as HTMLInputElement).labels?.length ||
              el.getAttribute('aria-label') ||
              (el.tagName === 'BUTTON' && el.textContent?.trim())
            ),
        )
        .map((el) => el.id || el.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    // from the top of the page, Tab reaches the Machine field before any other filter control
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const order: string[] = [];
    for (let i = 0; i < 20 && order[order.length - 1] !== 'f-apply'; i++) {
      await page.keyboard.press('Tab');
      order.push(await page.evaluate(() => document.activeElement?.id ?? ''));
    }
    const filterOrder = order.filter((id) => id.startsWith('f-'));
    expect(filterOrder).toEqual([
      'f-machine',
      'f-ctype',
      'f-cname',
      'f-method',
      'f-kind',
      'f-range',
      'f-tags',
      'f-apply',
    ]);
    // type a machine, choose a range with the arrow keys, submit with Enter
    await page.locator('#f-machine').focus();
    await page.keyboard.type('press-2');
    for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-range');
    await page.keyboard.press('ArrowDown'); // All time → Custom…
    await page.keyboard.press('ArrowUp'); // → All time
    await page.keyboard.press('ArrowUp'); // → Last 7 days
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).toContain('machine=press-2');
    expect(page.url()).toContain('range=7d');
    await expect.poll(async () => new Set(await machinesShown())).toEqual(new Set(['press-2']));
    // focus stays in the filter bar after applying; rows open with Enter
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-tags');
    await page.locator('#rows tbody tr').first().focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
  });

  it('Fleet shows per board and component: online/offline, last seen, rate and gap count', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/fleet?range=24h`);
    await page.locator('#fleet-table').waitFor();
    const rows = await page
      .locator('#fleet-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim()),
        ),
      );
    const byKey = new Map(rows.map((r) => [`${r[0]!.split(' ')[0]}/${r[1]!.split(' ').pop()}`, r]));
    const adc1 = byKey.get('press-1/adc')!;
    expect(adc1[2]).toBe('online');
    expect(adc1[5]).toBe(String(seeded.press1 - 120)); // analog readings of press-1 in the range
    expect(adc1[6]).toBe('1');
    expect(byKey.get('press-1/door')![6]).toBe('0');
    const adc2 = byKey.get('press-2/adc')!;
    expect(adc2[2]).toBe('offline');
    expect(adc2[3]).toMatch(/h ago/);
    expect(adc2[5]).toBe(String(seeded.press2));
  });

  it('Live shows new readings without reload and keeps at most 500 rows', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/live`);
    await page.locator('#live-rows tbody tr').first().waitFor();
    const now = Date.now();
    const fresh = [];
    for (let i = 0; i < 600; i++) fresh.push(analog(now - 600 + i, 7, i));
    await upload(cloud, meta('press-3', 'Analogs', 'adc', 'Analogs'), fresh);
    await expect
      .poll(() => page.locator('#live-rows tbody tr td:nth-child(2)').first().textContent(), {
        timeout: 8000,
      })
      .toBe('press-3');
    expect(await page.locator('#live-rows tbody tr').count()).toBe(500);
    expect(b.errors).toEqual([]);
  });

  it('signing out ends the session: back to the login form and the API refuses', async () => {
    const { page } = b;
    await page.locator('#logout').click();
    await page.locator('#login-form').waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/readings')).status)).toBe(401);
  });
}
