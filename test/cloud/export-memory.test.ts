/**
 * Exports stream in constant memory: 100,000 rows (≈ 30 MB of CSV) go through a real HTTP socket
 * while the server's heap stays far below the size of the output.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { startCloud } from './cloud-helper.js';
import { ingestFile } from './store-contract.js';
import { meta, readings } from './fixtures.js';

describe('export memory', () => {
  it('exports 100k rows as CSV with bounded heap growth', async () => {
    const cloud = await startCloud('sqlite');
    try {
      const store = cloud.store as SqliteStore;
      for (let i = 0; i < 100; i++)
        await store.ingest(
          ingestFile(meta(), readings(1000, Date.UTC(2026, 0, 1) + i * 100_000, 100, i)),
        );
      const { key } = await store.createKey(null);
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as () => void;
      gc();
      const base = process.memoryUsage().heapUsed;
      let peak = base;
      let nextCheck = 0;
      const res = await fetch(`${cloud.url}/api/v1/export?format=csv`, {
        headers: { authorization: `Bearer ${key}` },
      });
      let bytes = 0;
      let lines = 0;
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        for (const b of chunk) if (b === 10) lines++;
        if (bytes >= nextCheck) {
          // what the export retains while running (garbage collected first)
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
          nextCheck += 4 * 1024 * 1024;
        }
      }
      expect(lines).toBe(100_001);
      expect(bytes).toBeGreaterThan(25 * 1024 * 1024);
      // client and server share this process: together they retain a small fraction of the output
      expect(peak - base, `retained ${((peak - base) / 1048576).toFixed(1)} MiB`).toBeLessThan(
        8 * 1024 * 1024,
      );
    } finally {
      await cloud.close();
    }
  }, 60_000);
});
