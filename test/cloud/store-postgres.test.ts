import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/cloud/store/postgres.js';
import { createTestDb, pgUser } from './pg-helper.js';
import { cloudStoreContract } from './store-contract.js';

const user = await pgUser();

describe.skipIf(user === null)('PostgreSQL store', () => {
  cloudStoreContract('PostgreSQL', async () => {
    const db = await createTestDb(user!);
    return { store: await PostgresStore.open(db.config), cleanup: () => db.drop() };
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
