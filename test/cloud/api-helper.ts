/** An in-process cloud (fastify inject, no socket) over a temp SQLite store, plus upload helpers. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildCloudServer, type CloudServerOptions } from '../../src/cloud/server.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import type { TestFile } from './fixtures.js';

export interface ApiHarness {
  app: FastifyInstance;
  store: SqliteStore;
  keyA: string;
  keyB: string;
  readKey: string;
  upload(
    f: TestFile,
    key: string,
    over?: { body?: Uint8Array; sha?: string; fileId?: string; type?: string },
  ): Promise<LightMyRequestResponse>;
  get(url: string, key?: string): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

export const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export async function apiHarness(extra: Partial<CloudServerOptions> = {}): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-api-'));
  const store = new SqliteStore(join(dir, 'cloud.db'));
  const keyA = (await store.createKey('machine-a')).key;
  const keyB = (await store.createKey('machine-b')).key;
  const readKey = (await store.createKey(null, 'reader')).key;
  const app = await buildCloudServer({ store, ...extra });
  return {
    app,
    store,
    keyA,
    keyB,
    readKey,
    upload: (f, key, over = {}) => {
      const body = over.body ?? f.bytes;
      return app.inject({
        method: 'POST',
        url: '/api/v1/files',
        payload: Buffer.from(body),
        headers: {
          'content-type': over.type ?? 'application/octet-stream',
          authorization: `Bearer ${key}`,
          'x-wharf-file-id': over.fileId ?? f.fileId,
          'x-wharf-sha256': over.sha ?? sha(body),
        },
      });
    },
    get: (url, key) =>
      app.inject({
        method: 'GET',
        url,
        headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
      }),
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
