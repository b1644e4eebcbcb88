/**
 * A real wharf cloud (buildCloudServer + SQLite store + the UI plugin) on an ephemeral loopback port,
 * seeded through the real ingest path: capture files made by the real encoder, POSTed to
 * /api/v1/files with each machine's own key. Shared by the UI tests and bench/ui.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { encodeCaptureFile } from '../../src/capture/file-format.js';
import { buildCloudServer } from '../../src/cloud/server.js';
import type { CloudStore } from '../../src/cloud/store/contract.js';
import { PostgresStore } from '../../src/cloud/store/postgres.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { createTestDb } from '../cloud/pg-helper.js';
import { cloudUi } from '../../src/cloud/ui/plugin.js';
import { PostgresFleetStore } from '../../src/cloud/fleet/postgres.js';
import { fleetPlugin } from '../../src/cloud/fleet/routes.js';
import { retentionPlugin } from '../../src/cloud/retention/plugin.js';
import { SqliteFleetStore } from '../../src/cloud/fleet/sqlite.js';
import type { PoolConfig } from 'pg';
import type { CaptureMeta, CaptureRecord } from '../../src/shared/record.js';

export interface Cloud {
  url: string;
  app: FastifyInstance;
  store: CloudStore;
  dir: string;
  /** Key per machine (uploads as that machine). */
  machineKey(machine: string): Promise<string>;
  /** A read-only key for the browser. */
  readKey: string;
  close(): Promise<void>;
}

/** SQLite (default) in a temp dir, or a throwaway PostgreSQL database for `{ pgUser }`. */
export async function startCloud(opts: { pgUser?: string } = {}): Promise<Cloud> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-ui-'));
  let store: CloudStore;
  let dropDb = async (): Promise<void> => undefined;
  let pgConfig: PoolConfig | undefined;
  if (opts.pgUser !== undefined) {
    const db = await createTestDb(opts.pgUser);
    pgConfig = db.config;
    store = await PostgresStore.open(db.config);
    dropDb = () => db.drop();
  } else {
    store = new SqliteStore(join(dir, 'cloud.db'));
  }
  // as `wharf cloud serve`: the fleet API beside the UI (its Fleet view shows config rollout)
  const fleet =
    opts.pgUser !== undefined && store instanceof PostgresStore
      ? await PostgresFleetStore.open(pgConfig!)
      : new SqliteFleetStore(join(dir, 'cloud.db'));
  const app = await buildCloudServer({
    store,
    plugins: [fleetPlugin(fleet), retentionPlugin(fleet, { intervalMs: 0 }), cloudUi()],
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const keys = new Map<string, string>();
  const readKey = (await store.createKey(null, 'ui test (read-only)')).key;
  return {
    url,
    app,
    store,
    dir,
    readKey,
    async machineKey(machine) {
      let k = keys.get(machine);
      if (k === undefined) {
        k = (await store.createKey(machine, `ui test ${machine}`)).key;
        keys.set(machine, k);
      }
      return k;
    },
    async close() {
      await app.close();
      await fleet.close();
      await store.close();
      await dropDb();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function meta(
  machine: string,
  component_type: string,
  component_name: string,
  method_name: string,
  tags: string[] = [],
): CaptureMeta {
  return {
    part_id: `${machine}-part`,
    machine,
    component_type,
    component_name,
    method_name,
    additional_parameters: {},
    tags,
  };
}

/** Uploads one capture file through POST /api/v1/files; throws with the server's reason otherwise. */
export async function upload(
  cloud: Cloud,
  m: CaptureMeta,
  records: CaptureRecord[],
): Promise<void> {
  const fileId = randomUUID();
  const bytes = encodeCaptureFile(
    {
      version: 1,
      file_id: fileId,
      created_ms:
        records[0]?.kind === 'gap' ? records[0].start : (records[0]?.time_requested ?? Date.now()),
      meta: m,
    },
    records,
  );
  const res = await fetch(`${cloud.url}/api/v1/files`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await cloud.machineKey(m.machine)}`,
      'content-type': 'application/octet-stream',
      'x-wharf-file-id': fileId,
      'x-wharf-sha256': createHash('sha256').update(bytes).digest('hex'),
    },
    body: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as unknown as BodyInit,
  });
  if (res.status !== 201)
    throw new Error(
      `upload of ${records.length} records for ${m.machine} answered ${res.status}: ${await res.text()}`,
    );
}

export function analog(t: number, a0: number, a1: number): CaptureRecord {
  return {
    kind: 'reading',
    time_requested: t - 3,
    time_received: t,
    data: {
      a0: { value: a0, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 },
      a1: { value: a1, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 },
    },
  };
}

export function gpio(t: number, high: boolean): CaptureRecord {
  return { kind: 'reading', time_requested: t - 2, time_received: t, data: { d2: { high } } };
}

/**
 * The UI test fixture, relative to `now`:
 *  - press-1 (tag line-a): analog `adc` once a second over the last 10 minutes with a 40 s
 *    board_offline gap in the middle, and GPIO `door` every 5 s;
 *  - press-2 (tag line-b): analog `adc` once a second from 3 h to 2 h 50 min ago (outside "last hour").
 */
export async function seedFixture(
  cloud: Cloud,
  now = Date.now(),
): Promise<{ press1: number; press2: number; gapStart: number; gapEnd: number }> {
  const adc1 = meta('press-1', 'Analogs', 'adc', 'Analogs', ['line-a']);
  const door = meta('press-1', 'Gpio', 'door', 'Gpio', ['line-a']);
  const adc2 = meta('press-2', 'Analogs', 'adc', 'Analogs', ['line-b']);
  const start1 = now - 10 * 60_000;
  const gapStart = now - 6 * 60_000;
  const gapEnd = gapStart + 40_000;
  const r1: CaptureRecord[] = [];
  for (let t = start1; t <= now - 1000; t += 1000) {
    if (t >= gapStart && t < gapEnd) continue;
    const i = (t - start1) / 1000;
    r1.push(analog(t, Math.round(2048 + 1500 * Math.sin(i / 30)), Math.round(i * 6) % 4096));
  }
  // the gap record sits where the readings stop (records in time order)
  const at = r1.findIndex((r) => r.kind === 'reading' && r.time_received >= gapEnd);
  r1.splice(at, 0, {
    kind: 'gap',
    reason: 'board_offline',
    start: gapStart,
    end: gapEnd,
    count: 40,
    detail: 'link lost (test)',
  });
  const d: CaptureRecord[] = [];
  for (let t = start1; t <= now - 1000; t += 5000)
    d.push(gpio(t + 0.25, Math.floor((t - start1) / 60_000) % 2 === 0));
  const r2: CaptureRecord[] = [];
  for (let t = now - 3 * 3600_000; t < now - 3 * 3600_000 + 10 * 60_000; t += 1000)
    r2.push(analog(t, 1000, 3000));
  await upload(cloud, adc1, r1.slice(0, 300));
  await upload(cloud, adc1, r1.slice(300));
  await upload(cloud, door, d);
  await upload(cloud, adc2, r2);
  return { press1: r1.length - 1 + d.length, press2: r2.length, gapStart, gapEnd };
}
