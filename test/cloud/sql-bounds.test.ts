/**
 * Every route that takes SQL (POST /api/v1/sql, GET /api/v1/export?sql= in each format) is
 * bounded the same way, on SQLite and PostgreSQL: an endless recursive CTE stops at the row limit
 * or the statement timeout with a clear error, a client that does not read holds no memory, a
 * client that leaves stops the statement, and the server's RSS grows by less than 50 MB. The
 * server is the real `wharf cloud serve` in its own process, so its RSS is measured alone.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/cloud/store/postgres.js';
import { SqliteStore } from '../../src/cloud/store/sqlite.js';
import { createTestDb, pgUser, type TestDb } from './pg-helper.js';

interface Server {
  port: number;
  proc: ChildProcess;
  key: string;
  pgUrl: string | null;
  close(): Promise<void>;
}

/** `wharf cloud serve` on a fresh store, port 0, SQL timeout 3 s; a read-only key for it. */
async function serve(kind: 'sqlite' | { pgUser: string }): Promise<Server> {
  let args: string[];
  let key: string;
  let db: TestDb | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'wharf-sqlb-'));
  if (kind === 'sqlite') {
    const file = join(dir, 'cloud.db');
    const store = new SqliteStore(file);
    key = (await store.createKey(null, 'reader')).key;
    await store.close();
    args = ['--db', file];
  } else {
    db = await createTestDb(kind.pgUser);
    const store = await PostgresStore.open(db.config);
    key = (await store.createKey(null, 'reader')).key;
    await store.close();
    args = ['--pg', db.url];
  }
  const proc = spawn(
    process.execPath,
    [
      'bin/wharf.mjs',
      'cloud',
      'serve',
      ...args,
      '--port',
      '0',
      '--no-ui',
      '--sql-timeout-s',
      String(TIMEOUT_MS / 1000),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WHARF_HOME: dir } },
  );
  let out = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  await until(
    'wharf cloud serve is listening',
    () => /serving \w+ store at http:\/\/[^:]+:\d+/.test(out),
    60_000,
  ).catch((err: Error) => {
    proc.kill('SIGKILL');
    throw new Error(`${err.message}; output: ${out.slice(-1000)}`);
  });
  const port = Number(/serving \w+ store at http:\/\/[^:]+:(\d+)/.exec(out)![1]);
  return {
    port,
    proc,
    key,
    pgUrl: db?.url ?? null,
    async close() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      }
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const rssOf = (pid: number): number => {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0; // exited meanwhile
  }
};

const TIMEOUT_MS = 3000;
const SLACK_MS = 6000; // a busy 2-core machine: start-up of the SQLite child, scheduling
const CTE = 'with recursive r(n) as (select 1 union all select n+1 from r) select n from r';
const CTE_NO_ROW =
  'with recursive r(n) as (select 1 union all select n+1 from r) select n from r where n < 0';
const CTE_AGG =
  'with recursive r(n) as (select 1 union all select n+1 from r) select max(n) from r';

interface Call {
  status: number;
  bytes: number;
  head: string;
  tail: string;
  /** The transfer ended with its final chunk (false: the server cut it). */
  complete: boolean;
  ms: number;
}

/** One request over real HTTP; the body is counted, not kept (the test shares the server's RSS). */
function call(
  cloud: Server,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
  opts: { holdUntil?: () => Promise<void>; abortAfterBytes?: number } = {},
): Promise<Call> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: cloud.port, method, path, headers, agent: false },
      (res) => {
        let bytes = 0;
        let head = '';
        let tail = '';
        const done = (): void =>
          resolve({
            status: res.statusCode ?? 0,
            bytes,
            head,
            tail,
            complete: res.complete,
            ms: Date.now() - t0,
          });
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (head.length < 2000) head += c.toString('utf8').slice(0, 2000 - head.length);
          tail = (tail + c.toString('utf8')).slice(-2000);
          if (opts.abortAfterBytes !== undefined && bytes >= opts.abortAfterBytes) {
            req.destroy();
            done();
          }
        });
        res.on('error', () => undefined); // a cut transfer: seen as complete === false
        res.on('close', done);
        if (opts.holdUntil !== undefined) {
          // a client that does not read: nothing is taken from the socket until the condition
          res.pause();
          opts.holdUntil().then(
            () => res.resume(),
            (err: unknown) => {
              req.destroy();
              reject(err instanceof Error ? err : new Error(String(err)));
            },
          );
        }
      },
    );
    req.setTimeout(TIMEOUT_MS + SLACK_MS + 20_000, () => req.destroy(new Error('no end')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Peak RSS of the server process and of its SQL child processes while `fn` runs. */
async function peakRss<T>(
  server: Server,
  fn: () => Promise<T>,
): Promise<{ value: T; serverMb: number; childMb: number }> {
  const pid = server.proc.pid!;
  const rss0 = rssOf(pid);
  let peak = rss0;
  let child = 0;
  const sample = (): void => {
    peak = Math.max(peak, rssOf(pid));
    for (const c of sqlChildren(pid)) child = Math.max(child, rssOf(c));
  };
  const timer = setInterval(sample, 25);
  try {
    const value = await fn();
    sample();
    return { value, serverMb: (peak - rss0) / 1e6, childMb: child / 1e6 };
  } finally {
    clearInterval(timer);
  }
}

/** Pids of the server's SQLite SQL children. */
function sqlChildren(parent: number): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(parent)], {
      encoding: 'utf8',
    });
    return out
      .split('\n')
      .filter((l) => l.includes('sqlite-sql-child'))
      .map((l) => Number(l.trim().split(/\s+/)[0]));
  } catch {
    return []; // ps exits 1 when there is no child
  }
}

async function until(
  what: string,
  cond: () => Promise<boolean> | boolean,
  ms = 15_000,
): Promise<void> {
  const t = Date.now();
  while (!(await cond())) {
    if (Date.now() - t > ms) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** [name, method, path] of each SQL-taking route. */
const routesFor = (format: string): [string, string, string][] => [
  ['sql', 'POST', '/api/v1/sql'],
  ['export', 'GET', `/api/v1/export?format=${format}&sql=${encodeURIComponent(CTE)}`],
];

const kinds: ['sqlite' | 'postgres'][] = [['sqlite'], ['postgres']];

describe.each(kinds)('SQL bounds on %s', (kind) => {
  let cloud: Server | null = null;
  let key = '';
  let statementRunning: () => Promise<boolean>;

  beforeAll(async () => {
    if (kind === 'postgres') {
      const user = await pgUser();
      if (user === null) return;
      cloud = await serve({ pgUser: user });
      const url = cloud.pgUrl!;
      statementRunning = async () => {
        const c = new pg.Client({ connectionString: url });
        await c.connect();
        try {
          const r = await c.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'with recursive r(n)%' AND state <> 'idle' AND pid <> pg_backend_pid()",
          );
          return (r.rows[0] as { n: number }).n > 0;
        } finally {
          await c.end();
        }
      };
    } else {
      cloud = await serve('sqlite');
      const pid = cloud.proc.pid!;
      statementRunning = async () => sqlChildren(pid).length > 0;
    }
    key = cloud.key;
    // The first runaway export in a fresh server process (this one also loads the export code);
    // every test below then measures what one more runaway statement costs.
    const w = await peakRss(cloud, () => exportCall('csv', CTE));
    process.stderr.write(
      `sql-bounds ${kind} first export in a fresh server: server RSS +${w.serverMb.toFixed(1)} MB\n`,
    );
    expect(w.value.tail).toMatch(/# error: CLOUD_SQL_(LIMIT|REFUSED)/);
    // this one also pays for loading the export code once (26 MB on Node 24 on a quiet machine,
    // 60 MB once under a full suite with load 17): bounded, but not by the per-statement 50 MB
    expect(w.serverMb).toBeLessThan(100);
  }, 120_000);

  afterAll(async () => {
    await cloud?.close();
  });

  const auth = (): Record<string, string> => ({ authorization: `Bearer ${key}` });
  const sqlCall = (sql: string, limit?: number, opts?: Parameters<typeof call>[5]) =>
    call(
      cloud!,
      'POST',
      '/api/v1/sql',
      { ...auth(), 'content-type': 'application/json' },
      JSON.stringify({ sql, ...(limit === undefined ? {} : { limit }) }),
      opts,
    );
  const exportCall = (format: string, sql: string, extra = '', opts?: Parameters<typeof call>[5]) =>
    call(
      cloud!,
      'GET',
      `/api/v1/export?format=${format}&sql=${encodeURIComponent(sql)}${extra}`,
      auth(),
      undefined,
      opts,
    );

  it('POST /api/v1/sql: the endless CTE stops at the row limit (truncated) in bounded memory', async (t) => {
    if (cloud === null) return t.skip();
    const { value: r, serverMb, childMb } = await peakRss(cloud!, () => sqlCall(CTE, 200_000));
    expect(r.status).toBe(200);
    expect(r.complete).toBe(true);
    expect(r.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(r.head.startsWith('{"columns":["n"],"rows":[[1],[2],')).toBe(true);
    // either all 200,000 rows then truncated, or the timeout said so in the answer
    expect(r.tail).toMatch(
      /\[200000\]\],"truncated":true\}$|"truncated":false,"error":\{"code":"CLOUD_SQL_FAILED","message":"SQL statement timeout/,
    );
    report(kind, 'sql limit=200000', r, serverMb, childMb);
    expect(serverMb).toBeLessThan(50);
    await until('statement stopped', async () => !(await statementRunning()));
  }, 60_000);

  it('POST /api/v1/sql: a CTE that never yields a row answers 400 at the timeout', async (t) => {
    if (cloud === null) return t.skip();
    for (const sql of [CTE_AGG, CTE_NO_ROW]) {
      const { value: r, serverMb } = await peakRss(cloud!, () => sqlCall(sql));
      expect(r.status, sql).toBe(400);
      expect(JSON.parse(r.head).error).toMatchObject({
        code: 'CLOUD_SQL_REFUSED',
        message: expect.stringContaining('SQL statement timeout'),
      });
      expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
      expect(r.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      expect(serverMb).toBeLessThan(50);
    }
    await until('statement stopped', async () => !(await statementRunning()));
  }, 60_000);

  // SQLite only: its SQL runs in a child with a memory cap; PostgreSQL bounds memory itself
  if (kind === 'sqlite')
    it('POST /api/v1/sql: a statement building one huge value is stopped at the memory cap (SQLite child)', async (t) => {
      if (cloud === null) return t.skip();
      const huge =
        "with recursive r(n) as (select 1 union all select n+1 from r) select length(group_concat(printf('%.1000c', 'x'))) from r";
      const { value: r, serverMb, childMb } = await peakRss(cloud, () => sqlCall(huge));
      expect(r.status).toBe(400);
      expect(JSON.parse(r.head).error.message).toMatch(
        /used more than 256 MB of memory|SQL statement timeout/,
      );
      report(kind, 'sql group_concat', r, serverMb, childMb);
      expect(serverMb).toBeLessThan(50);
      expect(childMb).toBeLessThan(256 + 300); // the cap plus what 100 ms of growth can add
      await until('statement stopped', async () => !(await statementRunning()));
    });

  it.for(['csv', 'jsonl', 'parquet'])(
    'GET /api/v1/export?format=%s&sql=: the endless CTE stops at the row limit, says why and cuts the transfer',
    { timeout: 60_000 },
    async (format, t) => {
      if (cloud === null) return t.skip();
      const {
        value: r,
        serverMb,
        childMb,
      } = await peakRss(cloud!, () => exportCall(format, CTE, '&limit=20000'));
      expect(r.status).toBe(200);
      expect(r.complete).toBe(false); // no client can take it for a whole file
      expect(r.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      if (format === 'csv')
        expect(r.tail).toMatch(
          /\n20000\n# error: CLOUD_SQL_LIMIT: the result has more than 20000 rows/,
        );
      if (format === 'jsonl')
        expect(r.tail).toMatch(
          /\{"n":20000\}\n\{"error":\{"code":"CLOUD_SQL_LIMIT","message":"the result has more than 20000 rows/,
        );
      report(kind, `export ${format} limit=20000`, r, serverMb, childMb);
      expect(serverMb).toBeLessThan(50);
      await until('statement stopped', async () => !(await statementRunning()));
    },
  );

  it('GET /api/v1/export?sql= with the default limit: bounded by the limit or the timeout', async (t) => {
    if (cloud === null) return t.skip();
    const { value: r, serverMb, childMb } = await peakRss(cloud!, () => exportCall('csv', CTE));
    expect(r.status).toBe(200);
    expect(r.complete).toBe(false);
    expect(r.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(r.tail).toMatch(
      /# error: (CLOUD_SQL_LIMIT: the result has more than 1000000 rows|CLOUD_SQL_REFUSED: SQL statement timeout: stopped after 3000 ms)/,
    );
    expect(r.bytes).toBeLessThan(10_000_000); // at most 1,000,000 short lines
    report(kind, 'export csv default limit', r, serverMb, childMb);
    expect(serverMb).toBeLessThan(50);
    await until('statement stopped', async () => !(await statementRunning()));
  }, 60_000);

  it('GET /api/v1/export?sql=: a CTE that never yields answers 400 at the timeout, before any download', async (t) => {
    if (cloud === null) return t.skip();
    const r = await exportCall('csv', CTE_AGG);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.head).error.message).toContain('SQL statement timeout');
    expect(r.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    const refused = await exportCall('csv', 'DELETE FROM records');
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.head).error.code).toBe('CLOUD_SQL_REFUSED');
  }, 60_000);

  it.for(routesFor('csv'))(
    '%s: a client that does not read holds no memory, and the statement stops at the timeout',
    { timeout: 60_000 },
    async ([name, method, path], t) => {
      if (cloud === null) return t.skip();
      let stoppedAfter = 0;
      const t0 = Date.now();
      const {
        value: r,
        serverMb,
        childMb,
      } = await peakRss(cloud!, () =>
        call(
          cloud!,
          method,
          path,
          { ...auth(), 'content-type': 'application/json' },
          method === 'POST' ? JSON.stringify({ sql: CTE, limit: 1_000_000 }) : undefined,
          {
            holdUntil: async () => {
              await until('statement stopped while the client reads nothing', async () => {
                await new Promise((res) => setTimeout(res, 100));
                return !(await statementRunning());
              });
              stoppedAfter = Date.now() - t0;
            },
          },
        ),
      );
      expect(r.status).toBe(200);
      expect(stoppedAfter).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      // what the client then reads ends with the reason (/sql: whole JSON; the export is cut)
      if (name === 'sql') {
        expect(r.complete).toBe(true);
        expect(r.tail).toMatch(
          /"error":\{"code":"CLOUD_SQL_FAILED","message":"SQL statement timeout/,
        );
      } else {
        expect(r.complete).toBe(false);
        expect(r.bytes).toBeLessThan(8 * 1024 * 1024); // socket buffers, not the result
      }
      report(
        kind,
        `${name} paused client (stopped after ${stoppedAfter} ms)`,
        r,
        serverMb,
        childMb,
      );
      expect(serverMb).toBeLessThan(50);
    },
  );

  it.for(routesFor('jsonl'))(
    '%s: a client that leaves stops the statement',
    { timeout: 60_000 },
    async ([, method, path], t) => {
      if (cloud === null) return t.skip();
      const soon = 2000; // the deadline would stop it only ~3 s after the start: this is the disconnect
      const r = await call(
        cloud!,
        method,
        path,
        { ...auth(), 'content-type': 'application/json' },
        method === 'POST' ? JSON.stringify({ sql: CTE, limit: 1_000_000 }) : undefined,
        { abortAfterBytes: 1 },
      );
      expect(r.status).toBe(200);
      const t0 = Date.now();
      await until('statement stopped', async () => !(await statementRunning()));
      expect(Date.now() - t0).toBeLessThan(soon);
    },
  );
});

function report(kind: string, what: string, r: Call, serverMb: number, childMb: number): void {
  process.stderr.write(
    `sql-bounds ${kind} ${what}: ${r.ms} ms, ${r.bytes} bytes, complete=${r.complete}, server RSS +${serverMb.toFixed(1)} MB${childMb > 0 ? `, SQL child peak ${childMb.toFixed(0)} MB` : ''}\n`,
  );
}
