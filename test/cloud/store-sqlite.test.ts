import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { cloudStoreContract } from './store-contract.js';
import { storeOrderContract } from './store-order-contract.js';

cloudStoreContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-cloud-'));
  return {
    store: new SqliteStore(join(dir, 'cloud.db')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SQLite store durability settings', () => {
  it('uses WAL with synchronous=FULL (acknowledged rows survive a power cut)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-cloud-'));
    const store = new SqliteStore(join(dir, 'cloud.db'));
    const s = await store.openSql('SELECT 1', { timeoutMs: 5000, maxRows: 1 });
    await s.cancel();
    const raw = (store as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } })
      .db;
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('synchronous', { simple: true })).toBe(2);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

storeOrderContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-cloud-'));
  return {
    store: new SqliteStore(join(dir, 'cloud.db')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});
