/** The cloud API's guards: keys, sessions, machine binding, bad uploads, read-only SQL. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiHarness, sha, type ApiHarness } from './api-helper.js';
import { captureFile, meta, readings } from './fixtures.js';

let h: ApiHarness;
beforeEach(async () => {
  h = await apiHarness({ maxFileBytes: 64 * 1024, sqlTimeoutMs: 500 });
});
afterEach(async () => {
  await h.close();
});

const DATA_ROUTES: [string, string, unknown?][] = [
  ['GET', '/api/v1/readings'],
  ['GET', '/api/v1/series?points=10'],
  ['GET', '/api/v1/fleet'],
  ['GET', '/api/v1/export?format=csv'],
  ['GET', '/api/v1/session'],
  ['POST', '/api/v1/sql', { sql: 'SELECT 1' }],
  ['POST', '/api/v1/files', 'x'],
];

describe('authentication', () => {
  it.each(DATA_ROUTES)(
    '%s %s needs a key: 401 without one, with a wrong one, with a revoked one',
    async (method, url, payload) => {
      const send = (headers: Record<string, string>) =>
        h.app.inject({
          method: method as 'GET',
          url,
          headers,
          ...(payload === undefined ? {} : { payload: payload as string }),
        });
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer wharf_0123456789ab_notthesecretnotthesecret' },
        { authorization: 'Basic abc' },
        { cookie: 'wharf_session=0123456789ab.99999999999999.xxx' },
      ]) {
        const r = await send(headers);
        expect(r.statusCode, JSON.stringify(headers)).toBe(401);
        expect(r.json().error.code).toBe('CLOUD_AUTH');
      }
      const { info, key } = await h.store.createKey('machine-a');
      await h.store.revokeKey(info.id);
      expect((await send({ authorization: `Bearer ${key}` })).statusCode).toBe(401);
    },
  );

  it('leaves health, metrics and non-API routes public', async () => {
    expect((await h.get('/api/v1/health')).json()).toMatchObject({ ok: true, store: 'sqlite' });
    expect((await h.get('/metrics')).body).toContain('wharf_cloud_ingest_files_total');
  });

  it('logs in with a key into an HTTP-only cookie, which authenticates until logout or revocation', async () => {
    const bad = await h.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { api_key: 'nope' },
    });
    expect(bad.statusCode).toBe(401);
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { api_key: h.readKey },
    });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/^wharf_session=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
    expect(setCookie).not.toContain(h.readKey);
    const cookie = setCookie.split(';')[0]!;
    const who = await h.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
    expect(who.json()).toMatchObject({ machine: null, label: 'reader' });
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/v1/readings', headers: { cookie } }))
        .statusCode,
    ).toBe(200);
    // a tampered cookie is refused
    const forged = cookie.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 1}.`);
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/v1/readings', headers: { cookie: forged } }))
        .statusCode,
    ).toBe(401);
    const out = await h.app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    // revoking the key ends its sessions
    const id = /^wharf_([0-9a-f]{12})_/.exec(h.readKey)![1]!;
    await h.store.revokeKey(id);
    expect(
      (await h.app.inject({ method: 'GET', url: '/api/v1/readings', headers: { cookie } }))
        .statusCode,
    ).toBe(401);
  });
});

describe('ingest guards (nothing is partly stored)', () => {
  it('stores with the machine key, answers already_stored on repeat', async () => {
    const f = captureFile(meta(), readings(10));
    const r1 = await h.upload(f, h.keyA);
    expect(r1.statusCode).toBe(201);
    expect(r1.json()).toEqual({ status: 'stored', records: 10 });
    const r2 = await h.upload(f, h.keyA);
    expect(r2.statusCode).toBe(200);
    expect(r2.json()).toEqual({ status: 'already_stored', records: 10 });
    expect((await h.store.totals()).records).toBe(10);
  });

  it('refuses a file of machine A uploaded with the key of machine B, and a read-only key', async () => {
    const f = captureFile(meta({ machine: 'machine-a' }), readings(5));
    const r = await h.upload(f, h.keyB);
    expect(r.statusCode).toBe(403);
    expect(r.json().error.message).toContain(
      "belongs to machine 'machine-b' and cannot upload data of machine 'machine-a'",
    );
    expect((await h.upload(f, h.readKey)).statusCode).toBe(403);
    expect(await h.store.totals()).toEqual({ files: 0, records: 0 });
  });

  it.each([
    [
      'a truncated file',
      (b: Uint8Array) => ({ body: b.subarray(0, b.length - 7) }),
      422,
      'truncated',
    ],
    [
      'a flipped byte',
      (b: Uint8Array) => ({
        body: Uint8Array.from(b, (x, i) => (i === b.length - 20 ? x ^ 0xff : x)),
      }),
      422,
      'damaged',
    ],
    [
      'garbage',
      () => ({ body: new TextEncoder().encode('hello, not a capture file') }),
      422,
      'not a wharf capture file',
    ],
    ['a wrong checksum', () => ({ sha: 'ab'.repeat(32) }), 400, 'checksum mismatch'],
    [
      'a file id that disagrees with the file',
      () => ({ fileId: 'other-id' }),
      422,
      'does not match',
    ],
    ['a missing file id', () => ({ fileId: '' }), 400, 'x-wharf-file-id'],
    [
      'a JSON body',
      () => ({ type: 'application/json', body: new TextEncoder().encode('{"a":1}') }),
      415,
      'octet-stream',
    ],
    [
      'an oversized body',
      () => ({ body: new Uint8Array(70 * 1024) }),
      413,
      'larger than the limit',
    ],
  ])('refuses %s with a reason', async (_name, change, status, reason) => {
    // 400: the request is broken (resend); 422: the file itself is unacceptable (resending cannot help)
    const f = captureFile(meta(), readings(20));
    const r = await h.upload(f, h.keyA, change(f.bytes));
    expect(r.statusCode).toBe(status);
    expect(r.json().error.message).toContain(reason);
    expect(await h.store.totals()).toEqual({ files: 0, records: 0 });
  });

  it('refuses a reused file id with other content and keeps the first', async () => {
    const f = captureFile(meta(), readings(3), 'reused');
    await h.upload(f, h.keyA);
    const g = captureFile(meta(), readings(4), 'reused', 5);
    const r = await h.upload(g, h.keyA);
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toContain('never be reused');
    expect((await h.store.totals()).records).toBe(3);
    expect(sha(f.bytes)).not.toBe(sha(g.bytes));
  });
});

describe('read-only SQL over HTTP', () => {
  const sql = (q: string, key = h.readKey) =>
    h.app.inject({
      method: 'POST',
      url: '/api/v1/sql',
      payload: { sql: q },
      headers: { authorization: `Bearer ${key}` },
    });

  it('answers a SELECT over the readings view', async () => {
    await h.upload(captureFile(meta(), readings(4)), h.keyA);
    const r = await sql(
      "SELECT machine, count(*) AS n FROM readings WHERE kind = 'reading' GROUP BY machine",
    );
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      columns: ['machine', 'n'],
      rows: [['machine-a', 4]],
      truncated: false,
    });
  });

  it.each([
    'DROP TABLE records',
    'INSERT INTO records SELECT * FROM records',
    "ATTACH DATABASE ':memory:' AS m",
    'PRAGMA synchronous = OFF',
    'PRAGMA journal_mode = DELETE',
    'DELETE FROM api_keys',
    'SELECT 1; DELETE FROM records',
  ])('refuses %s with 400 and the reason', async (q) => {
    await h.upload(captureFile(meta(), readings(4)), h.keyA);
    const r = await sql(q);
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toMatchObject({
      code: 'CLOUD_SQL_REFUSED',
      message: expect.stringContaining('SQL refused'),
    });
    expect((await h.store.totals()).records).toBe(4);
  });

  it('stops a long statement at the timeout with 400', async () => {
    const r = await sql(
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT max(x) FROM c',
    );
    expect(r.statusCode).toBe(400);
    expect(r.json().error.message).toContain('timeout');
  });
});
