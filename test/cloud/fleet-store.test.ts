import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe } from 'vitest';
import { PostgresFleetStore } from '../../src/cloud/fleet/postgres.js';
import { SqliteFleetStore } from '../../src/cloud/fleet/sqlite.js';
import { fleetStoreContract } from './fleet-store-contract.js';
import { createTestDb, pgUser } from './pg-helper.js';

fleetStoreContract('SQLite', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-fleet-'));
  return {
    store: new SqliteFleetStore(path.join(dir, 'cloud.db')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

const user = await pgUser();
describe.skipIf(user === null)('PostgreSQL', () => {
  fleetStoreContract('PostgreSQL', async () => {
    const db = await createTestDb(user!);
    return { store: await PostgresFleetStore.open(db.config), cleanup: () => db.drop() };
  });
});
