/**
 * SQLite keeps a reading's constant data fields once per stream (src/cloud/store/sqlite-data.ts).
 * These tests hold it to giving back exactly what was ingested (values and key order) through
 * query() and through the SQL `readings` view, for every data shape, and to upgrading old stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openSqlite } from '../../src/cloud/store/sqlite-driver.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredRow } from '../../src/cloud/store/contract.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import { ingestFile } from './store-contract.js';
import { meta, readings } from './fixtures.js';
import { toRowLayout } from './sqlite-legacy.js';

const T0 = Date.UTC(2026, 0, 1);
const reading = (i: number, data: Record<string, unknown>): CaptureRecord =>
  ({
    kind: 'reading',
    time_requested: T0 + i * 10,
    time_received: T0 + i * 10 + 1,
    data,
  }) as CaptureRecord;

/** Every shape the splitter must either compact exactly or leave whole. */
const SHAPES: Record<string, unknown>[] = [
  {
    A1: { value: 1, min_range: 0, max_range: 3.3, step_size: 3.3 / 4095 },
    A2: { value: 2, min_range: 0, max_range: 3.3, step_size: 3.3 / 4095 },
  },
  {
    A1: { value: 3, min_range: 0, max_range: 3.3, step_size: 3.3 / 4095 },
    A2: { value: 4, min_range: 0, max_range: 3.3, step_size: 3.3 / 4095 },
  },
  {
    A1: { value: 5, min_range: -1, max_range: 5, step_size: 0.1 },
    A2: { value: 6, min_range: 0, max_range: 3.3, step_size: 3.3 / 4095 },
  }, // ranges change mid-file
  { A1: { value: 7, min_range: 0, max_range: 3.3, step_size: 3.3 / 4095 } }, // a reader fewer
  { A1: { min_range: 0, value: 8 } }, // value not first
  { pin: { high: true } },
  { pin: { high: false } },
  // each differs from the record before in one way only (the splitter's same-shape shortcut)
  { pin: { high: false, extra: 1 } }, // a field more
  { pin: { low: true, extra: 1 } }, // another first field, same constants
  { pin: { low: true, extra: '1' } }, // the same constant as text
  { pin: { low: true, extra: { x: 1 } } }, // a constant that is an object: stored whole
  { pin: { low: false, extra: '1' } },
  { pin: { low: false } }, // a field fewer
  { pin: { low: false }, pin2: { low: true } }, // a reader more
  { a: { value: 'on "x" \u00e9\n', unit: 'ü\\' } },
  { '0': { value: 1e-300, z: 1e21 }, b: { value: -0.5 } },
  { a: { value: 1, nested: { x: 1 } } }, // nested object: stored whole
  { a: { value: null, min_range: 0 } }, // null: stored whole
  { a: { value: 1, min_range: null } },
  { a: {} },
  {},
  { a: 1 },
];

const asJson = (rows: { data: unknown }[]): string[] => rows.map((r) => JSON.stringify(r.data));

describe('SQLite compact reading data', () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-cloud-data-'));
    store = new SqliteStore(join(dir, 'cloud.db'));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives back every data shape exactly (values and key order) through query() and the SQL view', async () => {
    const recs = SHAPES.map((d, i) => reading(i, d));
    expect(await store.ingest(ingestFile(meta(), recs))).toEqual({
      status: 'stored',
      records: SHAPES.length,
    });
    const want = recs.map((r) => JSON.stringify(r.kind === 'reading' ? r.data : null));
    const page = await store.query({}, { limit: 100, order: 'asc', cursor: null });
    expect(asJson(page.rows)).toEqual(want);
    const sql = await store.openSql('SELECT data FROM readings ORDER BY time_received', {
      timeoutMs: 10_000,
      maxRows: 100,
    });
    const fromSql: string[] = [];
    for await (const b of sql.batches)
      for (const row of b) fromSql.push(JSON.stringify(JSON.parse(String(row[0]))));
    expect(fromSql).toEqual(want);
  });

  it('keeps the constant fields once, shared by files of the stream, and json_extract works on them', async () => {
    await store.ingest(ingestFile(meta(), readings(50)));
    await store.ingest(ingestFile(meta(), readings(50, T0 + 10_000)));
    const raw = (store as unknown as { db: Database.Database }).db;
    expect(raw.prepare('SELECT count(*) AS n FROM data_consts').get()).toEqual({ n: 1 });
    const row = raw
      .prepare('SELECT json(data) AS data, consts FROM chunks ORDER BY id LIMIT 1')
      .get() as {
      data: string;
      consts: number | null;
    };
    expect(row.consts).not.toBeNull();
    // [record index, time requested, time received, the varying fields only]
    expect((JSON.parse(row.data) as unknown[][])[0]![3]).toEqual({
      a0: { value: 0 },
      a1: { value: 1000 },
    });
    const sql = await store.openSql(
      "SELECT json_extract(data, '$.a1.step_size') AS s, json_extract(data, '$.a0.value') AS v FROM readings ORDER BY id LIMIT 2",
      {
        timeoutMs: 10_000,
        maxRows: 10,
      },
    );
    const out: unknown[][] = [];
    for await (const b of sql.batches) out.push(...b);
    expect(out).toEqual([
      [3.3 / 4096, 0],
      [3.3 / 4096, 1],
    ]);
  });

  it('stores nothing of a failing file, including constants only it introduced', async () => {
    await store.ingest(ingestFile(meta(), readings(5)));
    const odd = readings(5).map(
      (r) => ({ ...r, data: { x: { value: 1, min_range: 42 } } }) as unknown as CaptureRecord,
    );
    const bad = ingestFile(meta(), [...odd, { kind: 'bogus' } as unknown as CaptureRecord]);
    await expect(store.ingest(bad)).rejects.toThrow();
    const raw = (store as unknown as { db: Database.Database }).db;
    expect(raw.prepare('SELECT count(*) AS n FROM data_consts').get()).toEqual({ n: 1 });
    expect(await store.totals()).toEqual({ files: 1, records: 5 });
  });
});

describe('SQLite store upgrade from schema 2', () => {
  it('adds the constants column and keeps the old rows readable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-cloud-upgrade-'));
    const file = join(dir, 'cloud.db');
    const first = new SqliteStore(file);
    await first.ingest(ingestFile(meta(), readings(3)));
    await first.close();
    // turn it into a schema-2 store: whole JSON in data, no consts column, the old view
    const db = openSqlite(file);
    toRowLayout(db);
    db.exec(`
      UPDATE records SET data = json_patch(data, (SELECT json(json) FROM data_consts WHERE id = records.consts)) WHERE consts IS NOT NULL;
      DROP VIEW readings; ALTER TABLE records DROP COLUMN consts; DROP TABLE data_consts;
      CREATE VIEW readings AS SELECT r.id, r.kind, s.part_id, s.machine, s.component_type, s.component_name, s.method_name,
        s.additional_parameters, s.tags, r.time_requested, r.time_received, r.data, f.file_id, r.id % 2097152 AS record_index
        FROM records r JOIN streams s ON s.id = r.stream_id JOIN files f ON f.seq = r.id / 2097152;
      PRAGMA user_version = 2;`);
    db.close();
    const store = new SqliteStore(file);
    await store.ingest(ingestFile(meta(), readings(2, T0 + 60_000, 100, 7)));
    const rows: StoredRow[] = (await store.query({}, { limit: 100, order: 'asc', cursor: null }))
      .rows;
    expect(asJson(rows)).toEqual(
      asJson([...readings(3), ...readings(2, T0 + 60_000, 100, 7)] as { data: unknown }[]),
    );
    const sql = await store.openSql(
      "SELECT count(*), sum(json_extract(data, '$.a0.value')) FROM readings",
      { timeoutMs: 10_000, maxRows: 10 },
    );
    const out: unknown[][] = [];
    for await (const b of sql.batches) out.push(...b);
    expect(out).toEqual([[5, 0 + 1 + 2 + 7 + 8]]);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
