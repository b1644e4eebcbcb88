/**
 * Time partitions of the PostgreSQL store (issue 14 item 6) on a real server: day partitions made
 * ahead and on demand, a reading from 1970 or 2099 stored (default partition), a day that enters
 * the window later gets its rows moved out of the default, queries across partitions page the same
 * as one table would, and a store made before partitioning is migrated on open without losing or
 * changing a row.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { dayOf, DAY_MS, partitionName } from '../../src/cloud/store/pg-partitions.js';
import { PostgresStore } from '../../src/cloud/store/postgres.js';
import type { StoredRow } from '../../src/cloud/store/contract.js';
import { meta, readings } from './fixtures.js';
import { createTestDb, pgUser, type TestDb } from './pg-helper.js';
import { PG_SCHEMA_V1 } from './pg-schema-v1.js';
import { ingestFile } from './store-contract.js';
import { imageRecord } from './retention-contract.js';

const user = await pgUser();
const NOW = Date.UTC(2026, 5, 15, 12);

async function allRows(store: PostgresStore, order: 'asc' | 'desc', limit: number) {
  const out: StoredRow[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const p = await store.query({}, { limit, order, cursor });
    out.push(...p.rows);
    cursor = p.next_cursor;
    if (cursor === null) break;
  }
  return out;
}

describe.skipIf(user === null)('PostgreSQL time partitions', () => {
  let db: TestDb | null = null;
  let store: PostgresStore | null = null;
  let admin: pg.Client | null = null;
  afterEach(async () => {
    await store?.close();
    await admin?.end();
    await db?.drop();
    store = null;
    admin = null;
    db = null;
  });

  const sql = async <T extends pg.QueryResultRow>(q: string, a: unknown[] = []) => {
    if (admin === null) {
      admin = new pg.Client(db!.config);
      await admin.connect();
    }
    return (await admin.query<T>(q, a)).rows;
  };
  /** Which partition holds each row (by time). */
  const homes = async () =>
    new Map(
      (
        await sql<{ t: number; p: string }>(
          'SELECT time_received AS t, tableoid::regclass::text AS p FROM records',
        )
      ).map((r) => [Number(r.t), r.p]),
    );

  it('creates today and the next days ahead, and a day on demand', async () => {
    db = await createTestDb(user!);
    store = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    const parts = (await store.partitions.refresh()).map((p) => p.name);
    for (let d = 0; d <= 2; d++) expect(parts).toContain(partitionName(dayOf(NOW) + d));
    expect(parts).toContain('records_default');
    const t = NOW - 30 * DAY_MS;
    expect(parts).not.toContain(partitionName(dayOf(t)));
    await store.ingest(ingestFile(meta(), readings(5, t)));
    expect((await homes()).get(t + 0.5)).toBe(partitionName(dayOf(t)));
  });

  it('stores readings from 1970 and 2099 (default partition) and returns them', async () => {
    db = await createTestDb(user!);
    store = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    const odd = [0, 86_400_000 * 3, Date.UTC(2099, 0, 1), NOW - 600 * DAY_MS, -5000];
    const recs = odd.flatMap((t) => readings(1, t));
    recs.push(...readings(3, NOW - 1000));
    const r = await store.ingest(ingestFile(meta(), recs));
    expect(r).toEqual({ status: 'stored', records: recs.length });
    const h = await homes();
    for (const t of odd) expect(h.get(t + 0.5)).toBe('records_default');
    expect(h.get(NOW - 1000 + 0.5)).toBe(partitionName(dayOf(NOW)));
    const rows = await allRows(store, 'asc', 3);
    expect(rows.map((x) => x.time_received)).toEqual(
      recs.map((x) => (x.kind === 'reading' ? x.time_received : 0)).sort((a, b) => a - b),
    );
    expect(await store.count({ from: -10_000, to: 1 })).toBe(2); // -5000 and 0
    // no partition per odd day: the table does not grow a partition for every broken clock
    const names = (await store.partitions.refresh()).map((p) => p.name);
    expect(names).not.toContain(partitionName(dayOf(Date.UTC(2099, 0, 1))));
  });

  it('moves a day out of the default partition when the day enters the window', async () => {
    db = await createTestDb(user!);
    let now = NOW;
    store = await PostgresStore.open(db.config, undefined, {
      now: () => now,
      partitions: { aheadDays: 3 },
    });
    const later = NOW + 10 * DAY_MS; // beyond the 3 days ahead: default for now
    await store.ingest(ingestFile(meta(), readings(4, later)));
    expect((await homes()).get(later + 0.5)).toBe('records_default');
    now = NOW + 9 * DAY_MS; // the day is in the window now
    await store.ingest(ingestFile(meta(), readings(4, later + 3_600_000)));
    const h = await homes();
    const p = partitionName(dayOf(later));
    expect(h.get(later + 0.5)).toBe(p); // moved
    expect(h.get(later + 3_600_000 + 0.5)).toBe(p);
    expect(await store.count({})).toBe(8);
  });

  it('pages across partitions exactly as one table: every row once, in (time, id) order', async () => {
    db = await createTestDb(user!);
    store = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    const expected: number[] = [];
    // 6 days, two machines, files arriving out of order, times crossing midnight
    for (const ago of [3, 0, 5, 1, 4, 2])
      for (const machine of ['a', 'b']) {
        const t0 = NOW - ago * DAY_MS - Math.floor(NOW % DAY_MS) - 25_000; // 25 s before midnight
        const recs = readings(50, t0, 1000);
        await store.ingest(ingestFile(meta({ machine }), recs));
        for (const r of recs) if (r.kind === 'reading') expected.push(r.time_received);
      }
    expected.sort((x, y) => x - y);
    const asc = await allRows(store, 'asc', 37);
    expect(asc.map((r) => r.time_received)).toEqual(expected);
    expect(new Set(asc.map((r) => r.id)).size).toBe(expected.length);
    const desc = await allRows(store, 'desc', 41);
    expect(desc.map((r) => r.id)).toEqual(asc.map((r) => r.id).reverse());
    const dayLo = NOW - 2 * DAY_MS - Math.floor(NOW % DAY_MS);
    const inRange = expected.filter((t) => t >= dayLo && t <= dayLo + DAY_MS);
    expect(await store.count({ from: dayLo, to: dayLo + DAY_MS })).toBe(inRange.length);
    expect(await store.count({ machine: ['a'] })).toBe(expected.length / 2);
    // read-only SQL over the readings view sees every partition
    const s = await store.openSql('SELECT count(*) AS n FROM readings', {
      timeoutMs: 5000,
      maxRows: 1,
    });
    let n = 0;
    for await (const b of s.batches) n = Number(b[0]![0]);
    expect(n).toBe(expected.length);
  });

  it('migrates a store made before partitioning on open, keeping every row and id', async () => {
    db = await createTestDb(user!);
    await sql(PG_SCHEMA_V1);
    await sql(
      `INSERT INTO streams (key, part_id, machine, component_type, component_name, method_name, tags, additional_parameters)
       VALUES ('k1', 'p', 'm1', 'board', 'b', 'Analogs', '[]', '{}')`,
    );
    await sql(
      `INSERT INTO files (file_id, sha256, machine, bytes, records, received_ms) VALUES ('old-1', 'aa', 'm1', 1, 4, 0)`,
    );
    const times = [NOW - 20 * DAY_MS, NOW - 2 * DAY_MS, NOW - 1000, 5000];
    for (const [i, t] of times.entries())
      await sql(
        `INSERT INTO records (file_seq, record_index, stream_id, kind, time_requested, time_received, data)
         VALUES (1, $1, 1, 'reading', $2, $2, $3)`,
        [i, t, JSON.stringify({ a0: { value: i } })],
      );
    await sql(`INSERT INTO image_blobs VALUES ('bb', '\\x0102')`);
    await sql(`INSERT INTO images VALUES (3, 1, $1, $1, 'image/png', 2, 'bb')`, [NOW - 1000]);
    const before = await sql<{ id: string; t: number }>(
      'SELECT id, time_received AS t FROM records ORDER BY id',
    );

    store = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    const kind = await sql<{ relkind: string }>(
      "SELECT relkind FROM pg_class WHERE relname = 'records'",
    );
    expect(kind[0]!.relkind).toBe('p');
    const legacy = (await store.partitions.refresh()).find((p) => p.name === 'records_legacy');
    expect(legacy).toEqual({ name: 'records_legacy', from: 0, to: (dayOf(NOW) + 1) * DAY_MS });
    const after = await sql<{ id: string; t: number }>(
      'SELECT id, time_received AS t FROM records ORDER BY id',
    );
    expect(after).toEqual(before);
    const rows = await allRows(store, 'asc', 2);
    expect(rows.map((r) => r.time_received)).toEqual([...times].sort((a, b) => a - b));
    expect((await store.images.image(3))?.bytes).toEqual(Buffer.from([1, 2]));
    // new data: ids continue, today's rows still land in the legacy partition (it covers today),
    // tomorrow's in a day partition; an image file works (no foreign key to the partitioned table)
    await store.ingest(
      ingestFile(meta({ machine: 'm1' }), [
        ...readings(2, NOW + DAY_MS),
        imageRecord(NOW + DAY_MS + 5, 9),
      ]),
    );
    const h = await homes();
    expect(h.get(NOW + DAY_MS + 0.5)).toBe(partitionName(dayOf(NOW) + 1));
    expect(h.get(NOW - 1000)).toBe('records_legacy');
    const ids = (await sql<{ id: string }>('SELECT id FROM records ORDER BY id')).map((r) =>
      Number(r.id),
    );
    expect(new Set(ids).size).toBe(7);
    expect(Math.min(...ids.slice(4))).toBeGreaterThan(4);
    expect((await store.images.listImages({}, { limit: 10, order: 'asc' })).images).toHaveLength(2);
    // opening again changes nothing
    await store.close();
    store = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    expect(await store.count({})).toBe(7);
  });
});
