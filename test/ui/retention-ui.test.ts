/**
 * Retention in the Data view, in real Chromium (issue 14 item 6): after a machine's old data was
 * removed by its retention_policy, the Data view says so — the policy, how much was removed and
 * when — so the empty past reads as the owner's choice, not as data the gateway lost; no gap row
 * appears for it, and a machine without a policy gets no such line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/system-tool.js';
import { launch, type Browser } from './browser.js';
import { analog, meta, startCloud, upload, type Cloud } from './seed.js';

const hasChromium = requireTool('chromium', 'the web UI tests drive a real Chromium');
const DAY = 86_400_000;

describe.skipIf(!hasChromium)('retention in the Data view (Chromium, SQLite)', () => {
  let cloud: Cloud;
  let b: Browser;
  beforeAll(async () => {
    cloud = await startCloud();
    const now = Date.now();
    const old = Array.from({ length: 40 }, (_, i) => analog(now - 10 * DAY + i * 1000, i, 40 - i));
    const fresh = Array.from({ length: 5 }, (_, i) => analog(now - 60_000 + i * 1000, i, 5 - i));
    for (const m of ['press-1', 'press-2']) {
      await upload(cloud, meta(m, 'Analogs', 'adc', 'Analogs'), old);
      await upload(cloud, meta(m, 'Analogs', 'adc', 'Analogs'), fresh);
    }
    await cloud.store.retention.setPolicy('press-1', 3, null);
    expect((await cloud.store.retention.enforce())[0]).toMatchObject({
      machine: 'press-1',
      readings: 40,
    });
    b = await launch();
    await b.page.goto(`${cloud.url}/`);
    await b.page.getByLabel('API key').fill(cloud.readKey);
    await b.page.locator('#login-submit').click();
    await b.page.locator('#nav').waitFor();
  });
  afterAll(async () => {
    await b?.close();
    await cloud?.close();
  });

  it('says the machine’s older data was removed by its policy, with no gap row for it', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/data?machine=press-1&range=all`);
    const note = page.locator('#retention-note');
    await note.waitFor();
    const text = (await note.textContent()) ?? '';
    expect(text).toContain('press-1 keeps 3 days (retention_policy); 40 older records removed');
    expect(text).toContain('removed by the cloud on purpose, not lost by the gateway');
    await page.locator('#rows').waitFor();
    expect(await page.locator('#rows tbody tr').count()).toBe(5);
    expect(await page.locator('#rows tbody tr.gap').count()).toBe(0);
  });

  it('shows no retention line for a machine without a policy', async () => {
    const { page } = b;
    await page.goto(`${cloud.url}/#/data?machine=press-2&range=all`);
    await page.locator('#rows').waitFor();
    await expect.poll(() => page.locator('#rows tbody tr').count()).toBe(45);
    // the note is fetched after the rows: wait until the view has its retention answer
    await page.locator('#results[data-retention="done"]').waitFor();
    expect(await page.locator('#retention-note').count()).toBe(0);
  });
});
