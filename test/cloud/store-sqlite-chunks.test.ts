/**
 * The SQLite store's chunked readings (schema 5, src/cloud/store/sqlite-chunks.ts): the bounds of
 * a chunk, exact times, a failed file leaving nothing, retention cutting inside a chunk, a tie
 * between a row and a chunk's first reading, the hand-pruned query of docs/cloud.md (the upgrade
 * of a schema-4 file: store-sqlite-upgrade.test.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CHUNK_MAX_CHARS,
  CHUNK_MAX_READINGS,
  CHUNK_SPAN_MS,
} from '../../src/cloud/store/sqlite-chunks.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import type { StoredRow } from '../../src/cloud/store/contract.js';
import type { CaptureRecord, ReadingData } from '../../src/shared/record.js';
import { meta, readings } from './fixtures.js';
import { ingestFile } from './store-contract.js';
import { allPages } from './store-order-contract.js';

const T0 = Date.UTC(2026, 0, 1);
const rawDb = (s: SqliteStore): Database.Database => (s as unknown as { db: Database.Database }).db;
const everyRow = (store: SqliteStore, limit = 500): Promise<StoredRow[]> =>
  allPages(store, {}, 'asc', limit);

describe('SQLite chunked readings', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-chunks-'));
    store = new SqliteStore(join(dir, 'cloud.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores readings as chunks of at most 250 readings within 60 s, gaps as rows', async () => {
    const recs: CaptureRecord[] = [
      ...readings(10_000, T0, 20), // 50 Hz: 200 s, the count limit bites first
      { kind: 'gap', reason: 'timeout', start: T0 + 200_000, end: T0 + 201_000, count: 3 },
      ...readings(500, T0 + 300_000, 1000), // 1 Hz: 500 s, the span limit bites
    ];
    await store.ingest(ingestFile(meta(), recs));
    const chunks = rawDb(store)
      .prepare('SELECT n, t_first, t_last FROM chunks ORDER BY id')
      .all() as { n: number; t_first: number; t_last: number }[];
    expect(chunks.reduce((s, c) => s + c.n, 0)).toBe(10_500);
    for (const c of chunks) {
      expect(c.n).toBeLessThanOrEqual(CHUNK_MAX_READINGS);
      expect(c.t_last - c.t_first).toBeLessThanOrEqual(CHUNK_SPAN_MS);
    }
    expect(CHUNK_MAX_READINGS).toBe(250);
    expect(chunks.length).toBe(40 + 9); // 10,000 / 250, then 500 s in spans of ≤ 60 s
    expect(rawDb(store).prepare('SELECT kind FROM records').all()).toEqual([{ kind: 'gap' }]);
    expect(await store.totals()).toEqual({ files: 1, records: 10_501 });
    const ids = (await everyRow(store)).map((r) => r.id);
    const base = ids[0]!;
    expect(ids).toEqual(recs.map((_, i) => base + i)); // each record keeps its index in the file
  });

  it('ends a chunk at 64 KiB of text: long text values make short chunks', async () => {
    const long = 'x'.repeat(10_000);
    const recs: CaptureRecord[] = Array.from({ length: 40 }, (_, i) => ({
      kind: 'reading',
      time_requested: T0 + i,
      time_received: T0 + i,
      data: { note: { value: `${i}${long}` } } as unknown as ReadingData,
    }));
    await store.ingest(ingestFile(meta(), recs));
    const chunks = rawDb(store)
      .prepare('SELECT n, length(json(data)) AS chars FROM chunks ORDER BY id')
      .all() as { n: number; chars: number }[];
    expect(chunks.reduce((s, c) => s + c.n, 0)).toBe(40);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.chars).toBeLessThan(CHUNK_MAX_CHARS + 10_100);
    const rows = await everyRow(store, 7);
    const text = (d: unknown): unknown => (d as { note: { value: unknown } }).note.value;
    expect(rows.map((r) => text(r.data))).toEqual(
      recs.map((r) => (r.kind === 'reading' ? text(r.data) : null)),
    );
  });

  it('keeps every time exact: as differences to t0 where that is exact, else as a row', async () => {
    const ab = (a: number, b: number, v: number): CaptureRecord => ({
      kind: 'reading',
      time_requested: a,
      time_received: b,
      data: { a0: { value: v, min_range: 0 } },
    });
    const recs = [
      ab(2 ** 40 - 0.5, 2 ** 40 - 0.25, 1), // t0 just under a power of two…
      ab(2 ** 40 + 0.25, 2 ** 40 + 0.5, 2), // …the next ones just over it
      ab(1e-5, 2 ** 40 + 1.1, 3), // a requested time the difference cannot hold: a row
      ab(0.1 + 0.2, 2 ** 40 + 7.3, 4),
      ab(-1234.5678, 2 ** 40 + 9.9, 5),
      ab(1767225600123.456, 1767225600123.457, 6), // another era: a new chunk
      ab(Number.MIN_VALUE, Number.MIN_VALUE, 7),
      ab(-0.001, 0.002, 8),
      ab(59_999.999, 60_000.001, 9),
    ];
    await store.ingest(ingestFile(meta(), recs));
    const rows = await everyRow(store, 3);
    const got = new Map(
      rows.map((r) => [
        (r.data as { a0: { value: number } }).a0.value,
        [r.time_requested, r.time_received],
      ]),
    );
    for (const r of recs)
      if (r.kind === 'reading')
        expect(got.get((r.data as { a0: { value: number } }).a0.value)).toEqual([
          r.time_requested,
          r.time_received,
        ]);
    expect(
      rawDb(store).prepare("SELECT count(*) AS n FROM records WHERE kind = 'reading'").get(),
    ).toEqual({
      n: 3, // 1e-5, 0.1 + 0.2 and -1234.5678 requested: no exact difference to 2^40 - 0.25
    });
    const sql = await store.openSql(
      "SELECT time_requested, time_received FROM readings ORDER BY json_extract(data, '$.a0.value')",
      { timeoutMs: 10_000, maxRows: 100 },
    );
    const out: unknown[][] = [];
    for await (const b of sql.batches) out.push(...b);
    expect(out).toEqual(
      recs.map((r) => (r.kind === 'reading' ? [r.time_requested, r.time_received] : [])),
    );
  });

  it('a file failing half-way leaves no chunk, and the next file is not mixed with it', async () => {
    await store.ingest(ingestFile(meta(), readings(50, T0)));
    // readings waiting to become a chunk when a row insert fails (the 100th row is bad)
    const bad = [
      ...readings(50, T0 + 60_000, 100, 500),
      ...Array.from({ length: 99 }, (_, i): CaptureRecord => ({
        kind: 'gap',
        reason: 'timeout',
        start: T0 + 70_000 + i,
        end: T0 + 70_000 + i,
        count: 1,
      })),
      { kind: 'bogus' } as unknown as CaptureRecord,
      ...readings(5, T0 + 80_000, 100, 700),
    ];
    await expect(store.ingest(ingestFile(meta(), bad))).rejects.toThrow();
    await store.ingest(ingestFile(meta(), readings(50, T0 + 120_000, 100, 900)));
    const values = (await everyRow(store)).map(
      (r) => (r.data as { a0: { value: number } }).a0.value,
    );
    expect(values).toEqual([
      ...Array.from({ length: 50 }, (_, i) => i),
      ...Array.from({ length: 50 }, (_, i) => 900 + i),
    ]);
    expect(await store.totals()).toEqual({ files: 2, records: 100 });
  });

  it('pages a row before a chunk that starts at the same time but has a smaller id', async () => {
    // file 1: chunked readings from T0 + 0.5; file 2 (larger ids): a gap row ending at T0 + 0.5
    await store.ingest(ingestFile(meta(), readings(3, T0)));
    await store.ingest(
      ingestFile(meta({ component_name: 'esp-2' }), [
        { kind: 'gap', reason: 'timeout', start: T0 - 100, end: T0 + 0.5, count: 1 },
      ]),
    );
    const pages = (await everyRow(store, 1)).map((r) => [r.kind, r.time_received]);
    expect(pages).toEqual([
      ['reading', T0 + 0.5],
      ['gap', T0 + 0.5],
      ['reading', T0 + 100.5],
      ['reading', T0 + 200.5],
    ]);
  });

  it('the hand-pruned chunk query of docs/cloud.md gives what the view gives', async () => {
    for (const [k, name] of ['esp-1', 'esp-2'].entries())
      await store.ingest(
        ingestFile(meta({ component_name: name }), readings(3000, T0 + k * 7, 100 + k)),
      );
    const from = T0 + 123_456.5;
    const run = async (sql: string, cols: [number, number]): Promise<string[]> => {
      const s = await store.openSql(sql, { timeoutMs: 10_000, maxRows: 10_000 });
      const out: string[] = [];
      for await (const b of s.batches)
        for (const r of b) out.push(JSON.stringify([r[cols[0]], JSON.parse(String(r[cols[1]]))]));
      return out.sort();
    };
    // the statement exactly as docs/cloud.md shows it, with a time for :from
    const docs = readFileSync(new URL('../../docs/cloud.md', import.meta.url), 'utf8');
    const block = /pruned by hand[\s\S]*?```sql\n([\s\S]*?)```/.exec(docs);
    expect(block).not.toBeNull();
    const fromDocs = await run(block![1]!.replaceAll(':from', String(from)), [1, 2]);
    const fromView = await run(
      `SELECT time_received, data FROM readings WHERE time_received >= ${from}`,
      [0, 1],
    );
    expect(fromDocs.length).toBeGreaterThan(1000);
    expect(fromDocs).toEqual(fromView);
  });

  it('retention cuts inside a chunk: later readings keep their ids, the count is exact', async () => {
    const now = Date.UTC(2026, 0, 20, 0, 0, 0);
    const day = 86_400_000;
    // 1 Hz over 10 min, ending 2 min after the cutoff (now − 7 days, a whole minute)
    const start = now - 7 * day - 8 * 60_000 + 0.25;
    await store.ingest(ingestFile(meta({ machine: 'm1' }), readings(600, start, 1000)));
    const before = await everyRow(store);
    const cutoff = now - 7 * day;
    const kept = before.filter((r) => r.time_received >= cutoff);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(before.length);
    // the cutoff falls inside a chunk, not on a boundary
    expect(
      rawDb(store)
        .prepare('SELECT count(*) AS n FROM chunks WHERE t_first < ? AND t_last >= ?')
        .get(cutoff, cutoff),
    ).toEqual({ n: 1 });
    await store.retention.setPolicy('m1', 7, 'test');
    const events = await store.retention.enforce(now);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ readings: before.length - kept.length, gaps: 0 });
    expect(await everyRow(store)).toEqual(kept);
    expect(await store.count({})).toBe(kept.length);
    const [s] = await store.streamStats(0, now);
    expect(s!.readings).toBe(kept.length);
  });
});
