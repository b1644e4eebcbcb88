/**
 * Retention (issue 14 item 6) on real SQLite and real PostgreSQL: the shared suite, plus what only
 * PostgreSQL does — a day partition whose machines are all past their policy is dropped whole
 * (and accounted), one that a machine must keep is not, and the rollup on SQLite is cut too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/cloud/retention/contract.js';
import { dayOf, partitionName } from '../../src/cloud/store/pg-partitions.js';
import { PostgresStore } from '../../src/cloud/store/postgres.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { meta, readings } from './fixtures.js';
import { createTestDb, pgUser, type TestDb } from './pg-helper.js';
import { gap, NOW, retentionContract } from './retention-contract.js';
import { ingestFile } from './store-contract.js';

retentionContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-retention-'));
  return {
    store: new SqliteStore(join(dir, 'cloud.db')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('retention on SQLite, rollup', () => {
  it('cuts the per-minute rollup with the rows, so charts over wide ranges agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-retention-'));
    const store = new SqliteStore(join(dir, 'cloud.db'));
    try {
      for (const ago of [10, 1])
        await store.ingest(
          ingestFile(meta({ machine: 'm1' }), readings(120, NOW - ago * DAY_MS, 1000)),
        );
      await store.retention.setPolicy('m1', 5, null);
      const [s] = await store.streams();
      const minute = (ms: number) => Math.floor(ms / 60_000);
      const rows = () =>
        store
          .rollupRows([s!.id], minute(NOW - 11 * DAY_MS), minute(NOW))
          .filter((r) => r.key === '');
      expect(rows().reduce((a, r) => a + r.n, 0)).toBe(240);
      await store.retention.enforce(NOW);
      expect(rows().reduce((a, r) => a + r.n, 0)).toBe(120);
      expect(await store.count({})).toBe(120);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const user = await pgUser();

describe.skipIf(user === null)('retention on PostgreSQL', () => {
  retentionContract('PostgreSQL', async () => {
    const db = await createTestDb(user!);
    return {
      store: await PostgresStore.open(db.config, undefined, { now: () => NOW }),
      cleanup: () => db.drop(),
    };
  });

  let db: TestDb | null = null;
  let store: PostgresStore | null = null;
  afterEach(async () => {
    await store?.close();
    await db?.drop();
    store = null;
    db = null;
  });

  const exists = async (name: string): Promise<boolean> => {
    const pool = (
      store as unknown as {
        pool: { query(s: string, a: unknown[]): Promise<{ rows: { r: string | null }[] }> };
      }
    ).pool;
    return (await pool.query('SELECT to_regclass($1)::text AS r', [name])).rows[0]!.r !== null;
  };

  it('drops a day partition whole when every machine in it is past its policy', async () => {
    db = await createTestDb(user!);
    store = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    const d50 = NOW - 50 * DAY_MS;
    const d45 = NOW - 45 * DAY_MS;
    // day −50: m1 and m2 only (both past); day −45: m1, m2 and m3 (m3 keeps for ever)
    for (const machine of ['m1', 'm2']) {
      await store.ingest(ingestFile(meta({ machine }), [...readings(100, d50), gap(d50 + 20_000)]));
      await store.ingest(ingestFile(meta({ machine }), readings(100, d45)));
    }
    await store.ingest(ingestFile(meta({ machine: 'm3' }), readings(100, d45)));
    // and today's data of each, which stays
    for (const machine of ['m1', 'm2', 'm3'])
      await store.ingest(ingestFile(meta({ machine }), readings(10, NOW - 60_000)));
    const p50 = partitionName(dayOf(d50));
    const p45 = partitionName(dayOf(d45));
    expect(await exists(p50)).toBe(true);
    expect(await exists(p45)).toBe(true);
    await store.retention.setPolicy('m1', 7, null);
    await store.retention.setPolicy('m2', 30, null);

    const events = await store.retention.enforce(NOW);
    expect(await exists(p50)).toBe(false);
    expect(await exists(p45)).toBe(true); // m3's rows live there
    const dropped = events.filter((e) => e.how === 'drop_partition');
    expect(dropped.map((e) => [e.machine, e.partition, e.readings, e.gaps]).sort()).toEqual([
      ['m1', p50, 100, 1],
      ['m2', p50, 100, 1],
    ]);
    const rowDeletes = events.filter((e) => e.how === 'delete_rows' && e.readings > 0);
    expect(rowDeletes.map((e) => [e.machine, e.partition, e.readings]).sort()).toEqual([
      ['m1', p45, 100],
      ['m2', p45, 100],
    ]);
    expect(await store.count({ machine: ['m3'] })).toBe(110);
    expect(await store.count({ machine: ['m1'] })).toBe(10);
    expect(await store.count({ machine: ['m2'] })).toBe(10);
    // the stored account says the same
    const log = await store.retention.events(100);
    expect(log.filter((e) => e.how === 'drop_partition').length).toBe(2);
    // a file of the dropped day uploaded again later is not stored twice (its id is remembered)
    const again = await store.retention.enforce(NOW);
    expect(again).toEqual([]);
  });

  it('ingest goes on while partitions are dropped: every upload stored, none lost', async () => {
    db = await createTestDb(user!);
    store = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    const old = [60, 59, 58, 57, 56].map((ago) => NOW - ago * DAY_MS);
    for (const t of old) await store.ingest(ingestFile(meta({ machine: 'm1' }), readings(200, t)));
    await store.retention.setPolicy('m1', 7, null);
    let stop = false;
    let stored = 0;
    const writer = (async () => {
      // today's data and a late backlog file of a day being dropped, all the while
      for (let i = 0; i < 400 && !stop; i++) {
        const t = i % 5 === 0 ? old[i % old.length]! + 3_600_000 : NOW - 1000 - i;
        const r = await store!.ingest(
          ingestFile(meta({ machine: 'm1', component_name: `c${i % 3}` }), readings(20, t)),
        );
        expect(r.status).toBe('stored');
        stored++;
      }
    })();
    const events = await store.retention.enforce(NOW);
    // let the writer overlap the enforcement, then stop it
    stop = true;
    await writer;
    // a second run removes the backlog rows that arrived after (or during) the first
    const later = await store.retention.enforce(NOW);
    const removed = [...events, ...later].reduce((a, e) => a + e.readings, 0);
    const kept = await store.count({});
    expect(removed + kept).toBe(5 * 200 + stored * 20);
    expect(await store.count({ to: NOW - 7 * DAY_MS })).toBe(0);
    for (const t of old) expect(await exists(partitionName(dayOf(t)))).toBe(false);
  });

  it('a second replica enforcing at the same time does nothing twice', async () => {
    db = await createTestDb(user!);
    store = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    const other = await PostgresStore.open(db.config, undefined, { now: () => NOW });
    try {
      for (const ago of [40, 20, 3])
        await store.ingest(ingestFile(meta({ machine: 'm1' }), readings(50, NOW - ago * DAY_MS)));
      await store.retention.setPolicy('m1', 7, null);
      const [a, b] = await Promise.all([
        store.retention.enforce(NOW),
        other.retention.enforce(NOW),
      ]);
      const removed = [...a, ...b].reduce((s, e) => s + e.readings, 0);
      expect(removed).toBe(100);
      expect(await store.count({})).toBe(50);
    } finally {
      await other.close();
    }
  });
});
