/**
 * Charts over wide ranges read the per-minute rollup (SQLite): each bucket must agree with the raw
 * rows of the same bucket grid — every reading counted once, extremes and their times kept (spikes
 * visible), gaps exact, lines merged like the raw path — whatever order files arrive in; a file
 * ingested twice must not count twice, a failed file must leave no rollup behind, and a schema-3
 * store file gets its readings rolled up when it is opened.
 */
import { openSqlite } from '../../src/cloud/store/sqlite-driver.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSeries, type SeriesResult } from '../../src/cloud/series.js';
import { minuteGrid } from '../../src/cloud/series-rollup.js';
import type { IngestFile, ReadingFilter } from '../../src/cloud/store/contract.js';
import { aggregateMinutes, rebuildRollup } from '../../src/cloud/store/sqlite-rollup.js';
import { ConstsCache } from '../../src/cloud/store/sqlite-chunks.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { SCHEMA_VERSION } from '../../src/cloud/store/sqlite-schema.js';
import { toRowLayout } from './sqlite-legacy.js';
import type { CaptureMeta, CaptureRecord } from '../../src/shared/record.js';
import { analog, gpio, meta } from '../ui/seed.js';

const T0 = Date.UTC(2026, 0, 1);
let fileNo = 0;
const file = (m: CaptureMeta, records: CaptureRecord[]): IngestFile => {
  const id = `file-${++fileNo}`;
  return { file_id: id, sha256: id.padEnd(64, '0'), bytes: 1, meta: m, records };
};

/** Lines in a fixed order, averages rounded (sums of the same numbers in another order). */
function canonical(r: SeriesResult): unknown {
  const series = [...r.series]
    .map((l) => ({ ...l, avg: l.avg.map((x) => Math.round(x * 1e6) / 1e6) }))
    .sort((a, b) =>
      `${a.machine}/${a.component_name}/${a.key}`.localeCompare(
        `${b.machine}/${b.component_name}/${b.key}`,
      ),
    );
  return { ...r, series };
}

function rollupCount(path: string): number {
  const db = openSqlite(path, { readonly: true });
  try {
    return (
      db.prepare("SELECT coalesce(sum(n), 0) AS n FROM rollup_1m WHERE key = ''").get() as {
        n: number;
      }
    ).n;
  } finally {
    db.close();
  }
}

/** Rollup and raw rows over the same grid must give the same result; returns the rollup one. */
async function expectExact(
  store: SqliteStore,
  filter: ReadingFilter & { from: number; to: number },
  points: number,
): Promise<SeriesResult> {
  const grid = minuteGrid(filter.from, filter.to, points);
  expect(grid).not.toBeNull();
  const fast = await buildSeries(store, filter, points);
  expect(fast.bucket_ms % 60_000).toBe(0); // answered from the rollup
  const raw = await buildSeries(store, filter, points, { rollup: false, grid: grid! });
  expect(canonical(fast)).toEqual(canonical(raw));
  return fast;
}

describe('series over the per-minute rollup', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-rollup-'));
    path = join(dir, 'cloud.db');
    store = new SqliteStore(path);
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('aggregates per minute and key with the earliest time of each minimum and maximum, and counts readings', () => {
    const recs = [
      analog(T0 + 1_000, 5, 50),
      analog(T0 + 2_000, 1, 70),
      analog(T0 + 500, 1, 70),
      analog(T0 + 61_000, 9, 10),
      gpio(T0 + 3_000, true),
    ];
    const aggs = aggregateMinutes(recs);
    const a0 = aggs.find((a) => a.minute === T0 / 60_000 && a.key === 'a0')!;
    expect(a0).toMatchObject({
      kind: 'analog',
      n: 3,
      vmin: 1,
      tmin: T0 + 500,
      vmax: 5,
      tmax: T0 + 1_000,
      vsum: 7,
    });
    expect(aggs.find((a) => a.key === 'a1' && a.minute === T0 / 60_000)).toMatchObject({
      vmax: 70,
      tmax: T0 + 500,
    });
    expect(aggs.find((a) => a.key === 'd2')).toMatchObject({
      kind: 'gpio',
      n: 1,
      vmin: 1,
      vmax: 1,
    });
    expect(aggs.filter((a) => a.key === '').map((a) => a.n)).toEqual([4, 1]);
  });

  it('wide ranges: same buckets, counts, extremes and gaps as the raw rows, files out of order, tag variants merged', async () => {
    const a: CaptureRecord[] = [];
    for (let i = 0; i < 30_000; i++)
      a.push(analog(T0 + i * 997 + 0.25, 2000 + (i % 500), 100 + (i % 7)));
    a[12_345] = analog(T0 + 12_345 * 997 + 0.25, 4095, 0); // a one-sample spike
    const t20k = T0 + 20_000 * 997 + 0.25; // a reading with one reader missing and a non-numeric field
    a[20_000] = {
      kind: 'reading',
      time_requested: t20k,
      time_received: t20k,
      data: { a0: { value: 1 }, note: { text: 'x' } } as unknown as Record<string, never>,
    };
    const gap: CaptureRecord = {
      kind: 'gap',
      reason: 'board_offline',
      start: T0 + 5_000_000,
      end: T0 + 5_030_000,
      count: 30,
      detail: 'test',
    };
    const doors: CaptureRecord[] = [];
    for (let i = 0; i < 3000; i++) doors.push(gpio(T0 + i * 9_000 + 1, i % 3 === 0));
    // newest file first; the same line in two streams (tags differ)
    await store.ingest(file(meta('m1', 'Analogs', 'adc', 'Analogs', ['y']), a.slice(15_000)));
    await store.ingest(
      file(meta('m1', 'Analogs', 'adc', 'Analogs', ['x']), [...a.slice(0, 15_000), gap]),
    );
    await store.ingest(file(meta('m1', 'Digital', 'door', 'Pins'), doors));
    await store.ingest(file(meta('m2', 'Analogs', 'adc', 'Analogs'), a.slice(0, 5_000)));
    const from = T0 + 12_345.5;
    const to = T0 + 30_000 * 997 - 7;
    const res = await expectExact(store, { machine: ['m1'], from, to }, 300);
    // and against the plain raw path (its own grid): every row counted, extremes and gaps the same
    const plain = await buildSeries(store, { machine: ['m1'], from, to }, 300, { rollup: false });
    expect(res.points_in_range).toBe(plain.points_in_range);
    expect(res.points_in_range).toBe(30_000 - 13 + 1 + 3000 - 2); // readings from `from` on, the gap, door readings ≥ from
    for (const key of ['a0', 'a1', 'd2']) {
      const f = res.series.find((l) => l.key === key)!;
      const p = plain.series.find((l) => l.key === key)!;
      expect([Math.min(...f.v), Math.max(...f.v)]).toEqual([Math.min(...p.v), Math.max(...p.v)]);
      expect(f.min.length).toBeLessThanOrEqual(300);
    }
    const a0 = res.series.find((l) => l.key === 'a0')!;
    expect(a0.t[a0.v.indexOf(4095)]).toBe(T0 + 12_345 * 997 + 0.25);
    expect(res.series.filter((l) => l.key === 'a0')).toHaveLength(1);
    expect(res.gaps).toEqual(plain.gaps);
    expect(res.gaps).toEqual([
      {
        machine: 'm1',
        component_name: 'adc',
        method_name: 'Analogs',
        start: T0 + 5_000_000,
        end: T0 + 5_030_000,
        reason: 'board_offline',
        count: 30,
        detail: 'test',
      },
    ]);
    // filters: tags, gaps only, readings only, a range inside one bucket column
    await expectExact(store, { tags: ['x'], from, to }, 300);
    await expectExact(store, { kind: 'gap', from, to }, 300);
    await expectExact(
      store,
      { kind: 'reading', machine: ['m1', 'm2'], from: T0 + 60_000, to: T0 + 3 * 3_600_000 },
      100,
    );
    await expectExact(
      store,
      { machine: ['m1'], from: T0 + 61_000.5, to: T0 + 61_000.5 + 60_000 },
      1,
    );
  });

  it('a narrow range (buckets under one minute) reads the exact rows', async () => {
    const a: CaptureRecord[] = [];
    for (let i = 0; i < 600; i++) a.push(analog(T0 + i * 100, i, 600 - i));
    await store.ingest(file(meta('m1', 'Analogs', 'adc', 'Analogs'), a));
    const res = await buildSeries(store, { machine: ['m1'], from: T0, to: T0 + 59_900 }, 600);
    expect(res.bucket_ms).toBeCloseTo(59_900 / 600);
    expect(res.series.find((l) => l.key === 'a0')!.v).toEqual(
      Array.from({ length: 600 }, (_, i) => i),
    );
    expect(res.points_in_range).toBe(600);
    // ten rows per bucket: each bucket's average is its own rows' (not a running one)
    const coarse = await buildSeries(store, { machine: ['m1'], from: T0, to: T0 + 60_000 }, 60);
    expect(coarse.series.find((l) => l.key === 'a0')!.avg).toEqual(
      Array.from({ length: 60 }, (_, k) => 10 * k + 4.5),
    );
  });

  it('a file ingested twice is rolled up once', async () => {
    const f = file(
      meta('m1', 'Analogs', 'adc', 'Analogs'),
      Array.from({ length: 5000 }, (_, i) => analog(T0 + i * 1000, i, 1)),
    );
    expect((await store.ingest(f)).status).toBe('stored');
    const once = await buildSeries(store, { from: T0, to: T0 + 5_000_000 }, 50);
    expect((await store.ingest(f)).status).toBe('already_stored');
    await Promise.all([store.ingest(f), store.ingest(f)]); // concurrent retries, one group commit
    const again = await buildSeries(store, { from: T0, to: T0 + 5_000_000 }, 50);
    expect(again).toEqual(once);
    expect(again.points_in_range).toBe(5000);
    expect(rollupCount(path)).toBe(5000);
  });

  it('a file that fails part-way leaves neither rows nor rollup behind', async () => {
    const good = Array.from({ length: 500 }, (_, i) => analog(T0 + i * 1000, 7, 7));
    await store.ingest(file(meta('m1', 'Analogs', 'adc', 'Analogs'), good));
    const bad = [
      ...Array.from({ length: 500 }, (_, i) => analog(T0 + i * 1000 + 1, 4000, 4000)),
      { kind: 'bogus' } as unknown as CaptureRecord,
    ];
    await expect(
      store.ingest(file(meta('m1', 'Analogs', 'adc', 'Analogs'), bad)),
    ).rejects.toThrow();
    expect(rollupCount(path)).toBe(500);
    const res = await buildSeries(store, { from: T0, to: T0 + 600_000 }, 5);
    expect(res.points_in_range).toBe(500);
    expect(Math.max(...res.series.find((l) => l.key === 'a0')!.max)).toBe(7);
  });
});

describe('rebuilding the rollup', () => {
  it('rolls up chunked readings and rows alike: the rebuilt rollup equals the one ingest wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-rollup-rebuild-'));
    const path = join(dir, 'cloud.db');
    try {
      const store = new SqliteStore(path);
      await store.ingest(
        file(
          meta('m1', 'Analogs', 'adc', 'Analogs'),
          Array.from({ length: 3000 }, (_, i) => analog(T0 + i * 100 + 0.5, i % 1000, 3)),
        ),
      );
      await store.close();
      const rows = (db: ReturnType<typeof openSqlite>): unknown[] =>
        db.prepare('SELECT * FROM rollup_1m ORDER BY stream_id, minute, key').all();
      const db = openSqlite(path);
      try {
        const written = rows(db);
        expect(db.prepare('SELECT count(*) AS n FROM chunks').get()).toEqual({ n: 12 });
        expect(db.transaction(() => rebuildRollup(db, new ConstsCache(db)))()).toBe(3000);
        expect(rows(db)).toEqual(written);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite store upgrade from schema 3', () => {
  it('adds the rollup in place and rolls up the stored readings (more than one page of them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-rollup-upgrade-'));
    const path = join(dir, 'cloud.db');
    try {
      const first = new SqliteStore(path);
      await first.ingest(
        file(
          meta('m1', 'Analogs', 'adc', 'Analogs'),
          Array.from({ length: 72_000 }, (_, i) => analog(T0 + i * 100 + 0.5, i % 1000, 3)),
        ),
      );
      await first.ingest(
        file(meta('m1', 'Analogs', 'adc', 'Analogs'), [
          { kind: 'gap', reason: 'board_offline', start: T0 + 100, end: T0 + 900, count: 1 },
        ]),
      );
      await first.close();
      const db = openSqlite(path); // what a schema-3 file looks like
      toRowLayout(db);
      db.exec(
        'DROP TABLE rollup_1m; DROP INDEX records_gap_stream_time; DROP INDEX records_gap_time; PRAGMA user_version = 3;',
      );
      db.close();
      const store = new SqliteStore(path);
      try {
        expect(rollupCount(path)).toBe(72_000);
        const check = openSqlite(path, { readonly: true });
        expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
        check.close();
        const res = await expectExact(store, { from: T0, to: T0 + 7_200_000 }, 60);
        expect(res.points_in_range).toBe(72_001);
        expect(res.gaps).toHaveLength(1);
        await store.ingest(
          file(meta('m1', 'Analogs', 'adc', 'Analogs'), [analog(T0 + 30_000.5, 5000, 3)]),
        );
        expect(rollupCount(path)).toBe(72_001);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
