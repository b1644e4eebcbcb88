/** SQL results stream: a big result starts before it is complete, and a client that leaves stops the statement. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCloudServer } from '../../src/cloud/server.js';
import type { CloudStore, SqlStream } from '../../src/cloud/store/contract.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { meta, readings } from './fixtures.js';
import { ingestFile } from './store-contract.js';

describe('SQL streaming', () => {
  it('stops the statement when the client goes away mid-stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-sqlstream-'));
    const store = new SqliteStore(join(dir, 'cloud.db'));
    for (let i = 0; i < 20; i++)
      await store.ingest(ingestFile(meta(), readings(5000, Date.UTC(2026, 0, 1) + i * 1e6)));
    const { key } = await store.createKey(null);
    let cancelled = 0;
    const spy: CloudStore = Object.create(store, {
      openSql: {
        value: async (sql: string, o: Parameters<CloudStore['openSql']>[1]): Promise<SqlStream> => {
          const s = await store.openSql(sql, o);
          return { ...s, cancel: async () => (cancelled++, s.cancel()) };
        },
      },
    }) as CloudStore;
    const app = await buildCloudServer({ store: spy, sqlTimeoutMs: 60_000 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/api/v1/sql`;
      const ac = new AbortController();
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT a.id, a.data FROM readings a', limit: 1_000_000 }),
        signal: ac.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const first = await reader.read();
      expect(
        new TextDecoder().decode(first.value).startsWith('{"columns":["id","data"],"rows":['),
      ).toBe(true);
      ac.abort();
      const t = Date.now();
      while (cancelled === 0 && Date.now() - t < 5000) await new Promise((r) => setTimeout(r, 20));
      expect(cancelled).toBeGreaterThan(0);
    } finally {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
