/**
 * In-place upgrade of a schema-4 SQLite store file to schema 5 (readings by the chunk): a real
 * file written by the previous version, and one whose rows interleave with newly chunked readings.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/cloud/store/sqlite-driver.js';
import { SCHEMA_VERSION } from '../../src/cloud/store/sqlite-schema.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import type { StoredRow } from '../../src/cloud/store/contract.js';
import { meta, readings } from './fixtures.js';
import { toRowLayout } from './sqlite-legacy.js';
import { ingestFile } from './store-contract.js';
import { allPages } from './store-order-contract.js';

const T0 = Date.UTC(2026, 0, 1);
const rawDb = (s: SqliteStore): Database.Database => (s as unknown as { db: Database.Database }).db;
const everyRow = (store: SqliteStore, limit = 500): Promise<StoredRow[]> =>
  allPages(store, {}, 'asc', limit);

describe('SQLite store upgrade from schema 4', () => {
  it('opens a store file written by wharf with schema 4 and reads every record as that version did', async () => {
    // test/cloud/fixtures/cloud-schema4.db: made by wharf fa60cec (schema 4), two files of
    // 150 readings + 1 gap each (esp-1, esp-2), a reading i at T0 + i·100 + k (+0.5 received)
    const dir = mkdtempSync(join(tmpdir(), 'wharf-schema4-'));
    const path = join(dir, 'cloud.db');
    copyFileSync(new URL('./fixtures/cloud-schema4.db', import.meta.url), path);
    try {
      const store = new SqliteStore(path);
      try {
        expect(rawDb(store).pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
        const want: [number, string, string, number, unknown][] = [];
        for (const [k, name] of ['esp-1', 'esp-2'].entries()) {
          const base = (k + 1) * 2 ** 21; // file seq k + 1
          for (let i = 0; i < 150; i++)
            want.push([
              base + i,
              'reading',
              name,
              T0 + i * 100 + k + 0.5,
              {
                a0: { value: i * (k + 1), min_range: 0, max_range: 3.3 },
                a1: { value: 1000 - i, min_range: 0, max_range: 3.3 },
              },
            ]);
          want.push([
            base + 150,
            'gap',
            name,
            T0 + 16_000 + k,
            { reason: 'board_offline', count: 10, end: T0 + 16_000 + k },
          ]);
        }
        want.sort((a, b) => a[3] - b[3] || a[0] - b[0]);
        const got = (await everyRow(store, 13)).map((r) => [
          r.id,
          r.kind,
          r.component_name,
          r.time_received,
          r.data,
        ]);
        expect(got).toEqual(want);
        expect(await store.totals()).toEqual({ files: 2, records: 302 });
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the rows of a schema-4 file where they are and stores new readings by the chunk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-chunks-upgrade-'));
    const path = join(dir, 'cloud.db');
    try {
      const first = new SqliteStore(path);
      await first.ingest(ingestFile(meta(), readings(300, T0, 500)));
      const old = await everyRow(first);
      await first.close();
      const db = openSqlite(path);
      toRowLayout(db);
      db.close();

      const store = new SqliteStore(path);
      try {
        const check = rawDb(store);
        expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
        expect(check.prepare('SELECT count(*) AS n FROM records').get()).toEqual({ n: 300 });
        expect(await everyRow(store, 7)).toEqual(old);
        // new readings interleave in time with the old rows: one order over both
        await store.ingest(ingestFile(meta(), readings(300, T0 + 250, 500, 5000)));
        expect(check.prepare('SELECT count(*) AS n FROM records').get()).toEqual({ n: 300 });
        const rows = await everyRow(store, 7);
        expect(rows).toHaveLength(600);
        const values = rows.map((r) => (r.data as { a0: { value: number } }).a0.value);
        expect(values).toEqual(Array.from({ length: 300 }, (_, i) => [i, 5000 + i]).flat());
        expect(await store.count({ from: T0, to: T0 + 10_000 })).toBe(40);
        const sql = await store.openSql(
          "SELECT count(*), sum(json_extract(data, '$.a0.value')) FROM readings",
          { timeoutMs: 10_000, maxRows: 10 },
        );
        const out: unknown[][] = [];
        for await (const b of sql.batches) out.push(...b);
        expect(out).toEqual([[600, values.reduce((a, b) => a + b, 0)]]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
