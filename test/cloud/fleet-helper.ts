/**
 * A real cloud (fastify on 127.0.0.1) with the fleet API over a fresh SQLite file or PostgreSQL
 * database, plus keys: a fleet admin, a read-only key, and machine keys on demand. `replica()`
 * starts another server on the same database (PostgreSQL: a second replica).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { FleetStore } from '../../src/cloud/fleet/contract.js';
import { PostgresFleetStore } from '../../src/cloud/fleet/postgres.js';
import { fleetPlugin } from '../../src/cloud/fleet/routes.js';
import { retentionPlugin } from '../../src/cloud/retention/plugin.js';
import { SqliteFleetStore } from '../../src/cloud/fleet/sqlite.js';
import { buildCloudServer } from '../../src/cloud/server.js';
import type { CloudStore } from '../../src/cloud/store/contract.js';
import { PostgresStore } from '../../src/cloud/store/postgres.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { createTestDb } from './pg-helper.js';

export interface FleetServer {
  url: string;
  port: number;
  app: FastifyInstance;
  stop(): Promise<void>;
}

export interface FleetCloud {
  store: CloudStore;
  fleet: FleetStore;
  main: FleetServer;
  adminKey: string;
  readKey: string;
  machineKey(machine: string): Promise<string>;
  /** Another server on the same database (its own store connections), on `port` (0 = any). */
  replica(port?: number): Promise<FleetServer>;
  close(): Promise<void>;
}

export async function startFleetCloud(kind: 'sqlite' | { pgUser: string }): Promise<FleetCloud> {
  let open: () => Promise<{ store: CloudStore; fleet: FleetStore }>;
  let cleanup: () => Promise<void>;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-fleet-cloud-'));
    const db = join(dir, 'cloud.db');
    open = async () => ({ store: new SqliteStore(db), fleet: new SqliteFleetStore(db) });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const db = await createTestDb(kind.pgUser);
    open = async () => ({
      store: await PostgresStore.open(db.config),
      fleet: await PostgresFleetStore.open(db.config),
    });
    cleanup = () => db.drop();
  }
  const servers: FleetServer[] = [];
  const opened: { store: CloudStore; fleet: FleetStore }[] = [];
  const serve = async (stores: { store: CloudStore; fleet: FleetStore }, port = 0) => {
    const app = await buildCloudServer({
      store: stores.store,
      plugins: [fleetPlugin(stores.fleet), retentionPlugin(stores.fleet, { intervalMs: 0 })],
    });
    await app.listen({ host: '127.0.0.1', port });
    const addr = app.server.address();
    const p = typeof addr === 'object' && addr !== null ? addr.port : 0;
    let up = true;
    const s: FleetServer = {
      url: `http://127.0.0.1:${p}`,
      port: p,
      app,
      async stop() {
        if (up) await app.close();
        up = false;
      },
    };
    servers.push(s);
    return s;
  };
  const first = await open();
  opened.push(first);
  const main = await serve(first);
  const admin = await first.store.createKey(null, 'admin');
  await first.fleet.grantAdmin(admin.info.id);
  const read = await first.store.createKey(null, 'reader');
  return {
    store: first.store,
    fleet: first.fleet,
    main,
    adminKey: admin.key,
    readKey: read.key,
    machineKey: async (m) => (await first.store.createKey(m, m)).key,
    async replica(port = 0) {
      const stores = await open();
      opened.push(stores);
      return serve(stores, port);
    },
    async close() {
      for (const s of servers) await s.stop();
      for (const o of opened) {
        await o.fleet.close();
        await o.store.close();
      }
      await cleanup();
    },
  };
}

/** fetch with a key; JSON body when given. */
export async function call(
  url: string,
  key: string | null,
  method = 'GET',
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
