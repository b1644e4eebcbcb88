/** Starts a real cloud server (fastify on 127.0.0.1, port 0) over a fresh SQLite or PostgreSQL store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildCloudServer, type CloudServerOptions } from '../../src/cloud/server.js';
import type { CloudStore } from '../../src/cloud/store/contract.js';
import { PostgresStore } from '../../src/cloud/store/postgres.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { createTestDb } from './pg-helper.js';

export interface TestCloud {
  url: string;
  port: number;
  app: FastifyInstance;
  store: CloudStore;
  dbPath: string | null;
  pgUrl: string | null;
  /** Stops the HTTP server only (the store stays: "cloud down"). */
  stopServer(): Promise<void>;
  /** Starts the HTTP server again on the same port. */
  startServer(): Promise<void>;
  close(): Promise<void>;
}

export async function startCloud(
  kind: 'sqlite' | { pgUser: string },
  extra: Partial<CloudServerOptions> = {},
): Promise<TestCloud> {
  let store: CloudStore;
  let cleanup: () => Promise<void>;
  let dbPath: string | null = null;
  let pgUrl: string | null = null;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-cloud-'));
    dbPath = join(dir, 'cloud.db');
    store = new SqliteStore(dbPath);
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const db = await createTestDb(kind.pgUser);
    pgUrl = db.url;
    store = await PostgresStore.open(db.config);
    cleanup = () => db.drop();
  }
  let app = await buildCloudServer({ store, ...extra });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  let up = true;
  const cloud: TestCloud = {
    url: `http://127.0.0.1:${port}`,
    port,
    get app() {
      return app;
    },
    store,
    dbPath,
    pgUrl,
    async stopServer() {
      if (!up) return;
      up = false;
      await app.close();
    },
    async startServer() {
      if (up) return;
      app = await buildCloudServer({ store, ...extra });
      await app.listen({ host: '127.0.0.1', port });
      up = true;
    },
    async close() {
      await cloud.stopServer();
      await store.close();
      await cleanup();
    },
  };
  return cloud;
}
