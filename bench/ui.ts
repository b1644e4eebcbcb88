/**
 * Web UI speed with a large store: seeds N readings (default 1,000,000) through the real ingest
 * path (capture files → POST /api/v1/files, one key per machine), then measures
 *  - the Data view's first page (`GET /api/v1/readings?order=desc&limit=50`, with and without filters),
 *  - the Charts view's downsampled series over a 100,000-reading range (`GET /api/v1/series`),
 *  - both views end to end in real Chromium (fetch + render, from the app's own timings).
 *
 *   npm run bench:ui                      # 1,000,000 readings
 *   npm run bench:ui -- --rows 200000     # quicker
 */
import { parseArgs } from 'node:util';
import { launch } from '../test/ui/browser.js';
import { analog, meta, startCloud, upload, type Cloud } from '../test/ui/seed.js';
import type { CaptureRecord } from '../src/shared/record.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    machines: { type: 'string', default: '10' },
    'no-browser': { type: 'boolean', default: false },
  },
});
const TOTAL = Number(values.rows);
const MACHINES = Number(values.machines);
const PER_MACHINE = Math.floor(TOTAL / MACHINES);
const FILE_RECORDS = 5000;
const STEP_MS = 1000;

function line(s: string): void {
  process.stdout.write(`${s}\n`);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;

async function seed(cloud: Cloud, now: number): Promise<void> {
  const started = Date.now();
  const jobs: { m: number; from: number }[] = [];
  for (let m = 0; m < MACHINES; m++)
    for (let i = 0; i < PER_MACHINE; i += FILE_RECORDS) jobs.push({ m, from: i });
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const t0 = now - PER_MACHINE * STEP_MS;
      const recs: CaptureRecord[] = [];
      const n = Math.min(FILE_RECORDS, PER_MACHINE - job.from);
      for (let k = 0; k < n; k++) {
        const i = job.from + k;
        recs.push(
          analog(
            t0 + i * STEP_MS + job.m * 7,
            Math.round(2048 + 1800 * Math.sin(i / 600 + job.m)),
            (i * 3) % 4096,
          ),
        );
      }
      // one gap per file, so charts have spans to shade
      const g = recs[Math.floor(n / 2)];
      if (g !== undefined && g.kind === 'reading')
        recs.splice(Math.floor(n / 2), 0, {
          kind: 'gap',
          reason: 'read_error',
          start: g.time_received - 500,
          end: g.time_received - 1,
          count: 1,
        });
      await upload(
        cloud,
        meta(`board-${String(job.m).padStart(2, '0')}`, 'Analogs', 'adc', 'Analogs', [
          `line-${job.m % 3}`,
        ]),
        recs,
      );
      done += n;
      if (process.stdout.isTTY)
        process.stdout.write(
          `\r  seeding ${done.toLocaleString('en-US')} / ${(PER_MACHINE * MACHINES).toLocaleString('en-US')}`,
        );
    }
  };
  await Promise.all([worker(), worker()]);
  const s = (Date.now() - started) / 1000;
  if (process.stdout.isTTY) process.stdout.write('\r');
  line(
    `seeded ${done.toLocaleString('en-US')} readings (+${jobs.length} gap records) in ${jobs.length} capture files through POST /api/v1/files: ${s.toFixed(1)} s (${Math.round(done / s).toLocaleString('en-US')} readings/s)`,
  );
}

async function timeGet(
  cloud: Cloud,
  path: string,
  n: number,
): Promise<{ first: number; median: number; p95: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${cloud.url}${path}`, {
      headers: { authorization: `Bearer ${cloud.readKey}` },
    });
    const body = (await res.json()) as { rows?: unknown[]; points_in_range?: number };
    times.push(performance.now() - t0);
    if (res.status !== 200)
      throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body)}`);
    rows = body.rows?.length ?? body.points_in_range ?? 0;
    void rows;
  }
  return { first: times[0]!, median: median(times), p95: p95(times), rows };
}

async function main(): Promise<void> {
  const cloud = await startCloud();
  try {
    const now = Date.now();
    line(
      `wharf web UI benchmark: ${TOTAL.toLocaleString('en-US')} readings, ${MACHINES} machines, SQLite store, ${new Date().toISOString()}`,
    );
    await seed(cloud, now);
    const m = 'board-03';
    const hour = `from=${now - 3600_000}`;
    const cases: [string, string, number][] = [
      ['first data page, no filter', '/api/v1/readings?order=desc&limit=50', 20],
      ['first data page, machine=', `/api/v1/readings?order=desc&limit=50&machine=${m}`, 20],
      ['first data page, last hour', `/api/v1/readings?order=desc&limit=50&${hour}`, 20],
      [
        'first data page, machine + tag',
        `/api/v1/readings?order=desc&limit=50&machine=${m}&tags=line-0`,
        20,
      ],
      ['first data page, gaps only', '/api/v1/readings?order=desc&limit=50&kind=gap', 10],
      ['fleet, last hour', `/api/v1/fleet?${hour}`, 5],
      ['fleet, last 24 h', `/api/v1/fleet?from=${now - 24 * 3600_000}`, 3],
      [
        `series ${m} last hour (3,600 rows), points=1200`,
        `/api/v1/series?machine=${m}&points=1200&${hour}`,
        5,
      ],
      [
        `series ${m} all (${PER_MACHINE.toLocaleString('en-US')} rows), points=1200`,
        `/api/v1/series?machine=${m}&points=1200`,
        5,
      ],
    ];
    line('\nAPI (loopback, server in this process), milliseconds:');
    line('| request | first | median | p95 |');
    line('|---|---|---|---|');
    for (const [name, path, n] of cases) {
      const r = await timeGet(cloud, path, n);
      line(`| ${name} | ${r.first.toFixed(1)} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} |`);
    }
    if (values['no-browser']) return;
    const b = await launch();
    try {
      const { page } = b;
      await page.goto(`${cloud.url}/`);
      await page.getByLabel('API key').fill(cloud.readKey);
      await page.locator('#login-submit').click();
      await page.locator('#rows tbody tr').first().waitFor({ timeout: 30_000 });
      line('\nChromium (headless, --disable-gpu), milliseconds:');
      line('| view | run 1 | run 2 | run 3 |');
      line('|---|---|---|---|');
      const data: string[] = [];
      for (let i = 0; i < 3; i++) {
        await page.evaluate(() => delete document.body.dataset.dataMs);
        const t0 = performance.now();
        await page.goto(`${cloud.url}/#/data?machine=${m}&r=${i}`);
        await page.reload();
        await page.waitForFunction(() => document.body.dataset.dataMs !== undefined, undefined, {
          timeout: 30_000,
        });
        const wall = performance.now() - t0;
        data.push(
          `${wall.toFixed(0)} (fetch ${await page.evaluate(() => document.body.dataset.dataMs)})`,
        );
      }
      line(`| Data view: page load → first 50 rows shown | ${data.join(' | ')} |`);
      const chart: string[] = [];
      let points = '';
      for (let i = 0; i < 3; i++) {
        await page.goto(`${cloud.url}/#/data`);
        await page.evaluate(() => delete document.body.dataset.chartMs);
        await page.goto(`${cloud.url}/#/charts?machine=${m}`);
        await page.waitForFunction(() => document.body.dataset.chartMs !== undefined, undefined, {
          timeout: 30_000,
        });
        const d = await page.evaluate(() => ({ ...document.body.dataset }));
        points = d.chartPoints ?? '';
        chart.push(`${d.chartMs} (fetch ${d.chartFetchMs})`);
      }
      line(
        `| Charts view: ${Number(points).toLocaleString('en-US')}-row range → chart drawn | ${chart.join(' | ')} |`,
      );
      if (b.errors.length > 0) line(`browser errors: ${b.errors.join('; ')}`);
    } finally {
      await b.close();
    }
  } finally {
    await cloud.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:ui failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
