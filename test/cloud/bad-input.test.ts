/**
 * Bad input is the sender's fault, never an outage: checksum-valid capture files (made with the
 * real encoder) holding bad records are refused with 422 CLOUD_INGEST_REJECTED naming the record,
 * nothing of them is stored, and the next good file goes in (SQLite and PostgreSQL, real HTTP).
 * Malformed request bodies and query strings get 4xx with a reason, wrong content types 415.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureMeta, CaptureRecord } from '../../src/shared/record.js';
import { sha } from './api-helper.js';
import { startCloud, type TestCloud } from './cloud-helper.js';
import { captureFile, meta, readings } from './fixtures.js';
import { pgUser } from './pg-helper.js';

const T = Date.UTC(2026, 0, 1);
const good = (): CaptureRecord => readings(1, T)[0]!;
const reading = (over: Record<string, unknown>): CaptureRecord =>
  ({ ...good(), ...over }) as unknown as CaptureRecord;
const withValue = (v: unknown): CaptureRecord =>
  reading({ data: { a0: { value: v, min_range: 0, max_range: 3.3, step_size: 0.001 } } });
const { time_requested: _omit, ...noRequested } = good() as unknown as Record<string, unknown>;

/** [what, bad record, words the problem must contain] */
const BAD_RECORDS: [string, CaptureRecord, string][] = [
  ['a NaN time', reading({ time_received: NaN }), 'time_received is NaN'],
  ['a missing time', noRequested as unknown as CaptureRecord, 'time_requested is missing'],
  ['an infinite time', reading({ time_requested: Infinity }), 'time_requested is Infinity'],
  ['a negative time', reading({ time_received: -5 }), 'outside'],
  ['a time after 9999', reading({ time_received: 1e20 }), 'outside'],
  ['a time as text', reading({ time_received: '2026-01-01' }), 'expected a finite number'],
  ['a BigInt value', withValue(2n ** 60n), 'BigInt'],
  ['a huge BigInt value', withValue(2n ** 70n), 'BigInt'],
  ['a NaN value', withValue(NaN), 'NaN'],
  ['an undefined value', withValue(undefined), 'missing'],
  ['a date value', withValue(new Date(T)), 'Date'],
  ['a byte string value', withValue(new Uint8Array([1, 2, 3])), 'byte string'],
  ['a NUL in a text value', withValue('a\u0000b'), 'NUL'],
  // the problem is located exactly (the fast check that passes good records builds no paths)
  ['a NaN value, by its path', withValue(NaN), 'data.a0.value is NaN'],
  [
    'a NaN deep in a list',
    reading({ data: { a0: { value: 1, history: [1, 2, NaN] } } }),
    'data.a0.history[2] is NaN',
  ],
  [
    'a NUL in a reader name',
    reading({ data: { 'a\u0000': { value: 1 } } }),
    'a key of data holds a NUL character',
  ],
  ['data null', reading({ data: null }), 'data is null'],
  ['data a list', reading({ data: [1, 2] }), 'data is an array'],
  ['data text', reading({ data: 'hello' }), 'expected an object'],
  [
    'data nested 40 deep',
    reading({ data: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) as unknown }),
    'deeper than',
  ],
  ['a gap without fields', { kind: 'gap' } as unknown as CaptureRecord, 'gap reason is missing'],
  [
    'a gap without start',
    { kind: 'gap', reason: 'board_offline', end: T, count: 1 } as unknown as CaptureRecord,
    'gap start is missing',
  ],
  [
    'a gap with a negative count',
    { kind: 'gap', reason: 'timeout', start: T, end: T + 1, count: -1 } as CaptureRecord,
    'gap count',
  ],
  [
    'a gap with a fractional count',
    { kind: 'gap', reason: 'timeout', start: T, end: T + 1, count: 1.5 } as CaptureRecord,
    'gap count',
  ],
  [
    'a gap count as BigInt',
    {
      kind: 'gap',
      reason: 'timeout',
      start: T,
      end: T + 1,
      count: 2n ** 60n,
    } as unknown as CaptureRecord,
    'gap count is the BigInt',
  ],
  [
    'a gap reason that is not a name',
    { kind: 'gap', reason: 'DROP TABLE', start: T, end: T, count: 0 } as unknown as CaptureRecord,
    'gap reason',
  ],
  [
    'a gap detail that is a number',
    {
      kind: 'gap',
      reason: 'timeout',
      start: T,
      end: T,
      count: 0,
      detail: 5,
    } as unknown as CaptureRecord,
    'gap detail',
  ],
];

const BAD_META: [string, Partial<CaptureMeta> | Record<string, unknown>, string][] = [
  ['a tag that is a number', { tags: ['ok', 7] }, 'meta.tags[1]'],
  ['a NUL in the component name', { component_name: 'esp\u00001' }, 'NUL'],
  ['a NaN parameter', { additional_parameters: { rate: NaN } }, 'additional_parameters.rate'],
  ['parameters as a list', { additional_parameters: [1] }, 'expected an object'],
];

const kinds: ['sqlite' | 'postgres'][] = [['sqlite'], ['postgres']];

describe.each(kinds)('bad capture files on %s', (kind) => {
  let cloud: TestCloud | null = null;
  let keyA = '';

  beforeAll(async () => {
    if (kind === 'postgres') {
      const user = await pgUser();
      if (user === null) return;
      cloud = await startCloud({ pgUser: user });
    } else cloud = await startCloud('sqlite');
    keyA = (await cloud.store.createKey('machine-a')).key;
  }, 60_000);
  afterAll(async () => {
    await cloud?.close();
  });

  const upload = async (bytes: Uint8Array, fileId: string): Promise<Response> =>
    fetch(`${cloud!.url}/api/v1/files`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keyA}`,
        'content-type': 'application/octet-stream',
        'x-wharf-file-id': fileId,
        'x-wharf-sha256': sha(bytes),
      },
      body: bytes as Uint8Array<ArrayBuffer>,
    });

  it.for(BAD_RECORDS)(
    'refuses %s with 422 naming the record; stores nothing',
    async ([, bad, words], t) => {
      if (cloud === null) return t.skip();
      const before = await cloud.store.totals();
      const records = [...readings(3, T), bad, ...readings(2, T + 10_000)];
      const f = captureFile(meta(), records);
      const r = await upload(f.bytes, f.fileId);
      const body = (await r.json()) as {
        error: {
          code: string;
          message: string;
          details?: { record_index: number; problem: string };
        };
      };
      expect(r.status, body.error.message).toBe(422);
      expect(body.error.code).toBe('CLOUD_INGEST_REJECTED');
      expect(body.error.details?.record_index).toBe(3);
      expect(body.error.message).toContain('record 3 (of 6)');
      expect(body.error.message).toContain(words);
      expect(await cloud.store.totals()).toEqual(before);
      // the sender is not stuck: the next file goes in
      const next = captureFile(meta(), readings(2, T + 60_000));
      expect((await upload(next.bytes, next.fileId)).status).toBe(201);
    },
  );

  it.for(BAD_META)('refuses a header with %s (422, nothing stored)', async ([, over, words], t) => {
    if (cloud === null) return t.skip();
    const before = await cloud.store.totals();
    const f = captureFile({ ...meta(), ...(over as Partial<CaptureMeta>) }, readings(3, T));
    const r = await upload(f.bytes, f.fileId);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(r.status, body.error.message).toBe(422);
    expect(body.error.code).toBe('CLOUD_INGEST_REJECTED');
    expect(body.error.message).toContain(words);
    expect(await cloud.store.totals()).toEqual(before);
  });

  it('keeps what real gateways send: nested data, nulls, text, booleans, empty readers, every gap reason', async (t) => {
    if (cloud === null) return t.skip();
    const recs: CaptureRecord[] = [
      reading({ data: { a0: { value: 1, min_range: 0, max_range: 3.3, step_size: 0.001 } } }),
      reading({ data: { p: { high: true } } }),
      reading({ data: { x: { nested: { deep: [1, 'two', null, false] } } } }),
      reading({ data: {} }),
      reading({ time_requested: 0, time_received: 0 }),
      reading({ extra_future_field: 'ignored' }),
      { kind: 'gap', reason: 'board_offline', start: T, end: T + 5000, count: 50 },
      { kind: 'gap', reason: 'capture_stopped', start: T, end: T, count: 0, detail: 'stop 😀' },
      {
        kind: 'gap',
        reason: 'some_future_reason',
        start: T,
        end: T + 1,
        count: 3,
      } as unknown as CaptureRecord,
    ];
    const f = captureFile(
      meta({ additional_parameters: { pins: [1, 2], deep: { a: null } } }),
      recs,
    );
    const r = await upload(f.bytes, f.fileId);
    expect(r.status, await r.clone().text()).toBe(201);
    expect(await r.json()).toEqual({ status: 'stored', records: recs.length });
  });
});

describe('bad request bodies and parameters get 4xx with a reason, never 500', () => {
  let cloud: TestCloud;
  let readKey = '';
  let keyA = '';
  beforeAll(async () => {
    cloud = await startCloud('sqlite');
    readKey = (await cloud.store.createKey(null, 'reader')).key;
    keyA = (await cloud.store.createKey('machine-a')).key;
  });
  afterAll(async () => {
    await cloud?.close();
  });

  const send = async (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string | Uint8Array,
  ): Promise<{ status: number; error: { code: string; message: string } | undefined }> => {
    const r = await fetch(`${cloud.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${readKey}`, ...headers },
      ...(body === undefined ? {} : { body: body as string }),
    });
    const text = await r.text();
    let error;
    try {
      error = (JSON.parse(text) as { error?: { code: string; message: string } }).error;
    } catch {
      error = undefined;
    }
    return { status: r.status, error };
  };
  const json = { 'content-type': 'application/json' };
  const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;

  it.for([
    ['/api/v1/sql', 'not json', '{"sql": '],
    ['/api/v1/sql', 'an empty body', ''],
    ['/api/v1/sql', 'a list', '[1, 2]'],
    ['/api/v1/sql', 'a string', '"SELECT 1"'],
    ['/api/v1/sql', 'null', 'null'],
    ['/api/v1/sql', 'sql as a number', '{"sql": 5}'],
    ['/api/v1/sql', 'a limit of zero', '{"sql": "SELECT 1", "limit": 0}'],
    ['/api/v1/sql', 'a limit as text', '{"sql": "SELECT 1", "limit": "many"}'],
    ['/api/v1/sql', 'a limit too large', '{"sql": "SELECT 1", "limit": 1e12}'],
    ['/api/v1/sql', 'an empty statement', '{"sql": "   "}'],
    ['/api/v1/sql', 'a prototype poisoning key', '{"sql": "SELECT 1", "__proto__": {"x": 1}}'],
    ['/api/v1/sql', 'JSON nested 200,000 deep', deep],
    ['/api/v1/session', 'not json', '{'],
    ['/api/v1/session', 'no api_key', '{}'],
    ['/api/v1/session', 'api_key as a list', '{"api_key": ["a"]}'],
  ] as const)('POST %s with %s: 4xx with a reason', async ([path, , body]) => {
    const r = await send('POST', path, json, body);
    expect(r.status, JSON.stringify(r.error)).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.error?.message.length).toBeGreaterThan(5);
  });

  it.for([
    ['/api/v1/sql', 'text/plain'],
    ['/api/v1/sql', 'application/x-www-form-urlencoded'],
    ['/api/v1/session', 'text/plain'],
    ['/api/v1/files', 'application/json'],
    ['/api/v1/files', 'text/plain'],
    ['/api/v1/files', 'multipart/form-data; boundary=x'],
  ] as const)('POST %s as %s: 415', async ([path, type]) => {
    const headers: Record<string, string> = { 'content-type': type };
    if (path === '/api/v1/files') headers.authorization = `Bearer ${keyA}`;
    const r = await send('POST', path, headers, 'x=1');
    expect(r.status, JSON.stringify(r.error)).toBe(415);
    expect(r.error?.message).toBeTruthy();
  });

  it("a JSON body over the 1 MiB limit is 413 naming that limit, not the upload's", async () => {
    const big = JSON.stringify({ sql: `SELECT 1 -- ${'x'.repeat(2 * 1024 * 1024)}` });
    const r = await send('POST', '/api/v1/sql', json, big);
    expect(r.status).toBe(413);
    expect(r.error?.code).toBe('FST_ERR_CTP_BODY_TOO_LARGE');
    expect(r.error?.message).toContain(String(1024 * 1024));
    expect(r.error?.message).not.toContain('capture file');
  });

  it('POST /api/v1/files without a content type: 415; with octet-stream but without its headers: 400', async () => {
    const f = captureFile(meta(), readings(2));
    const none = await fetch(`${cloud.url}/api/v1/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}` },
      body: new Blob([f.bytes as Uint8Array<ArrayBuffer>]), // fetch sends no content type for a typeless Blob
    });
    expect(none.status).toBe(415);
    const r = await send(
      'POST',
      '/api/v1/files',
      { authorization: `Bearer ${keyA}`, 'content-type': 'application/octet-stream' },
      f.bytes,
    );
    expect(r.status).toBe(400);
    expect(r.error?.message).toContain('x-wharf-file-id');
  });

  it('a malformed session cookie or authorization header is 401, not 500', async () => {
    for (const headers of <Record<string, string>[]>[
      { cookie: 'wharf_session=%E0%A4%A' },
      { cookie: 'wharf_session=%' },
      { cookie: 'wharf_session' },
      { authorization: 'Bearer' },
      { authorization: 'Bearer wharf_zz_%%%' },
      { authorization: `Bearer wharf_0123456789ab_${'x'.repeat(5000)}` },
    ]) {
      const r = await fetch(`${cloud.url}/api/v1/readings`, { headers });
      expect(r.status, JSON.stringify(headers)).toBe(401);
    }
  });

  it.for([
    '/api/v1/readings?limit=abc',
    '/api/v1/readings?limit=0',
    '/api/v1/readings?limit=1e400',
    '/api/v1/readings?order=sideways',
    '/api/v1/readings?cursor=%E2%9C%93garbage',
    '/api/v1/readings?cursor=W1tdLDFd',
    '/api/v1/readings?from=yesterday-ish',
    '/api/v1/readings?kind=both',
    '/api/v1/readings?to=NaN',
    '/api/v1/series?points=abc',
    '/api/v1/series?points=-1',
    '/api/v1/series?points=1e12',
    '/api/v1/fleet?from=garbage',
    '/api/v1/export?format=xml',
    '/api/v1/export?format=csv&sql=SELECT%201&limit=0',
    '/api/v1/export?format=csv&sql=SELECT%201&limit=x',
    '/api/v1/export?format=csv&from=not-a-time',
  ])('GET %s: 4xx with a reason', async (path) => {
    const r = await send('GET', path, {});
    expect(r.status, JSON.stringify(r.error)).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(r.error?.message.length).toBeGreaterThan(5);
  });
});
