import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/cloud/store/postgres.js';
import { createTestDb, pgUser } from './pg-helper.js';
import { cloudStoreContract, ingestFile } from './store-contract.js';
import { storeOrderContract } from './store-order-contract.js';
import { meta, readings } from './fixtures.js';

const user = await pgUser();

describe.skipIf(user === null)('PostgreSQL store', () => {
  cloudStoreContract('PostgreSQL', async () => {
    const db = await createTestDb(user!);
    return { store: await PostgresStore.open(db.config), cleanup: () => db.drop() };
  });
  storeOrderContract('PostgreSQL', async () => {
    const db = await createTestDb(user!);
    return { store: await PostgresStore.open(db.config), cleanup: () => db.drop() };
  });

  it('group commit: files arriving together are answered one by one, a bad one fails alone', async () => {
    const db = await createTestDb(user!);
    const store = await PostgresStore.open(db.config, undefined, { ingest: { lanes: 1 } });
    try {
      const files = Array.from({ length: 12 }, (_, i) =>
        ingestFile(meta({ component_name: `b${i % 3}` }), readings(100, Date.now() - i * 1000)),
      );
      const twin = { ...files[0]! }; // the same file uploaded twice at once
      const liar = { ...files[1]!, sha256: 'f'.repeat(64) }; // a reused file id, other content
      const bad = ingestFile(meta({ machine: 'nul\u0000byte' }), readings(5)); // PostgreSQL refuses NUL
      const all = await Promise.allSettled([...files, twin, liar, bad].map((f) => store.ingest(f)));
      const ok = all.map((r) =>
        r.status === 'fulfilled' ? r.value.status : (r.reason as { code: string }).code,
      );
      expect(ok.slice(0, 12)).toEqual(Array(12).fill('stored'));
      expect(ok.slice(12)).toEqual(['already_stored', 'CLOUD_BAD_REQUEST', 'CLOUD_STORE']);
      expect(await store.count({})).toBe(1200);
      expect(await store.totals()).toEqual({ files: 12, records: 1200 });
    } finally {
      await store.close();
      await db.drop();
    }
  });

  it('commits with synchronous_commit=on', async () => {
    const db = await createTestDb(user!);
    const store = await PostgresStore.open(db.config);
    const pool = (
      store as unknown as {
        pool: { query(s: string): Promise<{ rows: { synchronous_commit: string }[] }> };
      }
    ).pool;
    expect((await pool.query('SHOW synchronous_commit')).rows[0]!.synchronous_commit).toBe('on');
    await store.close();
    await db.drop();
  });
});
