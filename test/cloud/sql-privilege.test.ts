/**
 * A read-only key's SQL stays inside what it may read, and cannot take the server's resources
 * from ingest (hostile re-check of issue 11, real server over HTTP, real SQLite and PostgreSQL):
 *  - PostgreSQL: `set_config('role', 'none', true)` would undo `SET LOCAL ROLE wharf_sql_reader`
 *    from inside a SELECT and, with dynamic SQL (`query_to_xml`), read the key hashes, the fleet
 *    tables and, as a superuser, the server's files. The reader role may not call set_config.
 *  - PostgreSQL: a session advisory lock taken by a statement (the ids ingest's schema and
 *    partition DDL wait on) does not outlive the request in a pooled connection.
 *  - Both stores: at most `maxSqlStatements` statements run at once; one more answers 429 at
 *    once, and a slot is free again when its client leaves.
 */
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha } from './api-helper.js';
import { startCloud, type TestCloud } from './cloud-helper.js';
import { captureFile, meta, readings } from './fixtures.js';
import { pgUser } from './pg-helper.js';

interface Answer {
  status: number;
  body: string;
}

function post(cloud: TestCloud, path: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: cloud.port, method: 'POST', path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error(`timeout: POST ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const sql = (cloud: TestCloud, key: string, statement: string): Promise<Answer> =>
  post(
    cloud,
    '/api/v1/sql',
    { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    Buffer.from(JSON.stringify({ sql: statement })),
  );

/** A SQL request whose client reads the status line and then nothing: it holds its statement. */
function holdSql(cloud: TestCloud, key: string, statement: string) {
  return new Promise<{ status: number; close(): void }>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: cloud.port,
        method: 'POST',
        path: '/api/v1/sql',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        res.pause();
        resolve({ status: res.statusCode ?? 0, close: () => req.destroy() });
      },
    );
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end(JSON.stringify({ sql: statement }));
  });
}

async function until(what: string, cond: () => Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Endless rows of 1 kB: the statement runs for as long as its client keeps the answer open. */
const ENDLESS =
  'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT n, REPEAT_FN FROM c';

function slotTests(kind: 'sqlite' | 'postgres'): void {
  const filler = kind === 'sqlite' ? "printf('%.1000c', 'x')" : "repeat('x', 1000)";
  it('runs at most maxSqlStatements statements at once: one more is 429 at once, and a slot frees when its client leaves', async (c) => {
    if (kind === 'postgres' && user === null) return c.skip();
    const cloud = await open(kind, { maxSqlStatements: 2, sqlTimeoutMs: 60_000 });
    try {
      const key = (await cloud.store.createKey(null, 'reader')).key;
      const statement = ENDLESS.replace('REPEAT_FN', filler);
      const held = [await holdSql(cloud, key, statement), await holdSql(cloud, key, statement)];
      expect(held.map((h) => h.status)).toEqual([200, 200]);
      const t0 = Date.now();
      const third = await sql(cloud, key, 'SELECT 1 AS one');
      expect(third.status).toBe(429);
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(JSON.parse(third.body).error.code).toBe('CLOUD_SQL_BUSY');
      // ingest and health are not held up by the statements
      const writer = (await cloud.store.createKey('machine-a')).key;
      const f = captureFile(meta(), readings(20));
      const up = await post(
        cloud,
        '/api/v1/files',
        {
          authorization: `Bearer ${writer}`,
          'content-type': 'application/octet-stream',
          'x-wharf-file-id': f.fileId,
          'x-wharf-sha256': sha(f.bytes),
        },
        Buffer.from(f.bytes),
      );
      expect(up.status).toBe(201);
      for (const h of held) h.close();
      await until(
        'a statement runs again after the holding clients left',
        async () => (await sql(cloud, key, 'SELECT 1 AS one')).status === 200,
        15_000,
      );
      const ok = await sql(cloud, key, 'SELECT 2 AS two');
      expect(JSON.parse(ok.body).rows).toEqual([[2]]);
    } finally {
      await cloud.close();
    }
  }, 120_000);
}

let user: string | null = null;
const open = (kind: 'sqlite' | 'postgres', extra: Parameters<typeof startCloud>[1]) =>
  startCloud(kind === 'sqlite' ? 'sqlite' : { pgUser: user! }, extra);

beforeAll(async () => {
  user = await pgUser();
});

describe('SQLite', () => {
  slotTests('sqlite');
});

describe('PostgreSQL', () => {
  let cloud: TestCloud;
  let readKey: string;
  let admin: pg.Client;
  const hashes: string[] = [];

  beforeAll(async () => {
    if (user === null) return;
    cloud = await startCloud({ pgUser: user });
    readKey = (await cloud.store.createKey(null, 'reader')).key;
    await cloud.store.createKey('machine-a');
    admin = new pg.Client(cloud.pgUrl!);
    await admin.connect();
    for (const r of (await admin.query<{ hash: string }>('SELECT hash FROM api_keys')).rows)
      hashes.push(r.hash);
    expect(hashes.length).toBe(2);
  }, 60_000);

  afterAll(async () => {
    await admin?.end();
    await cloud?.close();
  });

  it('a statement cannot leave the reader role with set_config, directly or through dynamic SQL', async (c) => {
    if (user === null) return c.skip();
    const who = await sql(cloud, readKey, 'SELECT current_user AS u');
    expect(who.status).toBe(200);
    expect(JSON.parse(who.body).rows).toEqual([['wharf_sql_reader']]);
    const attempts = [
      "SELECT set_config('role', 'none', true) AS r, current_user AS u",
      `SELECT set_config('role', 'none', true), query_to_xml('select hash from api_keys', true, false, '')`,
      `SELECT set_config('session_authorization', session_user, true), query_to_xml('select hash from api_keys', true, false, '')`,
      `SELECT pg_catalog."set_config"('role', 'none', true), query_to_xml('select pg_read_file(''/etc/hostname'')', true, false, '')`,
      `SELECT query_to_xml('select set_config(''role'', ''none'', true)', true, false, ''), query_to_xml('select hash from api_keys', true, false, '')`,
    ];
    for (const statement of attempts) {
      const r = await sql(cloud, readKey, statement);
      expect(r.status, statement).toBe(400);
      expect(JSON.parse(r.body).error.code, statement).toBe('CLOUD_SQL_REFUSED');
      for (const h of hashes) expect(r.body).not.toContain(h);
    }
    // the same key still reads what it may
    const ok = await sql(cloud, readKey, 'SELECT count(*) AS n FROM readings');
    expect(ok.status).toBe(200);
  }, 60_000);

  it("a session advisory lock taken by a statement ends with the request (it would hold up ingest's schema and partition locks)", async (c) => {
    if (user === null) return c.skip();
    const heldLocks = async (): Promise<number> =>
      Number(
        (
          await admin.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND objid IN (7261836, 7261837)",
          )
        ).rows[0]!.n,
      );
    const r = await sql(
      cloud,
      readKey,
      'SELECT pg_advisory_lock(7261836) AS a, pg_advisory_lock(7261837) AS b',
    );
    expect(r.status).toBe(200);
    // the pool would keep an idle connection, and its session locks, for 10 s
    await until('the advisory locks are released', async () => (await heldLocks()) === 0, 3000);
  }, 30_000);

  slotTests('postgres');
});
