/**
 * Deny by default, on the route the router matched: every registered route is requested without a
 * key through its canonical path and through spellings that routers, proxies and decoders treat
 * differently (percent-encoding of each character, `//`, `/./`, `/x/../`, trailing slash, case,
 * `;`, `%2F`, ...), over real HTTP on a listening server: each answer is 401 or 404, never data.
 * And an upload with a key that may not upload is refused before its body is read.
 */
import http from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudUi } from '../../src/cloud/ui/plugin.js';
import { sha } from './api-helper.js';
import { startCloud, type TestCloud } from './cloud-helper.js';
import { captureFile, meta, readings } from './fixtures.js';

const MARK = 'leakmark7q'; // in every stored row (component name, tag): must never come back
const PUBLIC = [
  'GET /',
  'GET /api/v1/health',
  'GET /favicon.ico',
  'GET /index.html',
  'GET /metrics',
  'GET /ui/app.css',
  'GET /ui/app.js',
  'DELETE /api/v1/session',
  'POST /api/v1/session',
];

let cloud: TestCloud;
let keyA: string;
let readKey: string;

interface Answer {
  status: number;
  body: string;
}

function request(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: cloud.port, method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Routes as fastify's router prints them (independent of the auth hook's own list). */
function printedRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (m === null) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[2]!;
    stack[depth] = path;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== ''))
      out.push(`${method} ${path}`);
  }
  return out;
}

const enc = (c: string, lower = false): string => {
  const h = c.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${lower ? h : h.toUpperCase()}`;
};

const undecodable = (p: string): boolean => {
  try {
    decodeURIComponent(p.split('?')[0]!);
    return false;
  } catch {
    return true;
  }
};

/** The canonical path and the spellings an attacker would try. */
export function aliases(path: string): string[] {
  const out = new Set<string>([path]);
  const chars = [...path];
  const slashes = chars.flatMap((c, i) => (c === '/' ? [i] : []));
  const at = (i: number, s: string, drop = 0): string =>
    chars.slice(0, i).join('') + s + chars.slice(i + drop).join('');
  chars.forEach((c, i) => {
    if (c === '/') return;
    out.add(at(i, enc(c), 1));
    out.add(at(i, enc(c, true), 1));
    out.add(at(i, `%25${enc(c).slice(1)}`, 1)); // double encoding
    if (/[a-z]/.test(c)) out.add(at(i, c.toUpperCase(), 1));
  });
  out.add(chars.map((c) => (c === '/' ? c : enc(c))).join(''));
  out.add(path.toUpperCase());
  for (const i of slashes) {
    out.add(at(i, '//'));
    out.add(at(i, '/./', 1));
    out.add(at(i, '/%2e/', 1));
    out.add(at(i, '/x/../', 1));
    out.add(at(i, '/x/%2e%2e/', 1));
    out.add(at(i, '/..;/', 1));
    if (i > 0) {
      // (a request target must start with '/': these only make sense after the first slash)
      out.add(at(i, ';/', 1));
      out.add(at(i, ';x=1/', 1));
      out.add(at(i, '\\', 1));
      out.add(at(i, '%2F', 1));
      out.add(at(i, '%2f', 1));
      out.add(at(i, '%252F', 1));
    }
  }
  for (const tail of [
    '/',
    '/.',
    '/..',
    '%2F',
    ';',
    ';x=1',
    '%00',
    '%20',
    '%09',
    '#x',
    '?',
    '.json',
  ])
    out.add(path + tail);
  out.add(`http://127.0.0.1${path}`); // absolute-form request target
  out.add(`http://evil.example${path}`);
  out.add(`${path}%C0%AF`); // overlong UTF-8 slash
  out.add(`${path}%E2%80%8B`); // zero-width space
  out.add(`${path}%`); // a broken escape
  out.add(`//${path}`);
  out.add(`/.${path}`);
  out.add(`/x/..${path}`);
  out.add(`/%2e%2e${path}`);
  return [...out];
}

beforeAll(async () => {
  cloud = await startCloud('sqlite', { plugins: [cloudUi()] });
  keyA = (await cloud.store.createKey('machine-a')).key;
  readKey = (await cloud.store.createKey(null, 'reader')).key;
  const f = captureFile(meta({ component_name: MARK, tags: [MARK] }), readings(50));
  const r = await request(
    'POST',
    '/api/v1/files',
    {
      authorization: `Bearer ${keyA}`,
      'content-type': 'application/octet-stream',
      'x-wharf-file-id': f.fileId,
      'x-wharf-sha256': sha(f.bytes),
    },
    Buffer.from(f.bytes),
  );
  expect(r.status).toBe(201);
  // with a key, the data is there: the leak check below can fail
  const ok = await request('GET', '/api/v1/readings?limit=5', {
    authorization: `Bearer ${readKey}`,
  });
  expect(ok.status).toBe(200);
  expect(ok.body).toContain(MARK);
}, 120_000);

afterAll(async () => {
  await cloud?.close();
});

describe('every route is guarded, whatever the spelling of its path', () => {
  it('the auth hook saw exactly the routes the router holds, and only the shell, health, metrics and login are public', () => {
    const guarded = cloud.app.wharfRoutes.map((r) => `${r.method} ${r.url}`);
    const printed = printedRoutes(cloud.app.printRoutes({ commonPrefix: false }));
    expect(printed.length).toBeGreaterThan(20);
    expect([...printed].sort()).toEqual([...guarded].sort());
    const pub = cloud.app.wharfRoutes
      .filter((r) => r.access === 'public' && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`)
      .sort();
    expect(pub).toEqual([...PUBLIC].sort());
    expect(cloud.app.wharfRoutes.find((r) => r.url === '/api/v1/files')?.access).toBe('upload');
  });

  it('answers 401 or 404, never data, to every alias of every non-public route without a key', async () => {
    const f = captureFile(meta({ component_name: MARK }), readings(3));
    const bodyFor = (method: string, url: string): [Record<string, string>, Buffer?] => {
      if (url === '/api/v1/files')
        return [
          {
            'content-type': 'application/octet-stream',
            'x-wharf-file-id': f.fileId,
            'x-wharf-sha256': sha(f.bytes),
          },
          Buffer.from(f.bytes),
        ];
      if (method === 'POST')
        return [
          { 'content-type': 'application/json' },
          Buffer.from(JSON.stringify({ sql: 'SELECT component_name, tags FROM readings' })),
        ];
      return [{}];
    };
    const routes = cloud.app.wharfRoutes.filter((r) => r.access !== 'public');
    expect(routes.length).toBeGreaterThanOrEqual(12);
    let requests = 0;
    const seen = new Map<number, number>();
    for (const route of routes) {
      const [headers, body] = bodyFor(route.method, route.url);
      const query =
        route.method === 'GET' ? '?limit=5&format=csv&sql=SELECT%20*%20FROM%20readings' : '';
      const paths = aliases(route.url);
      expect(paths.length).toBeGreaterThan(30);
      for (const p of paths) {
        for (const q of ['', query]) {
          const a = await request(route.method, p + q, headers, body);
          requests++;
          seen.set(a.status, (seen.get(a.status) ?? 0) + 1);
          // a path that cannot be decoded is refused before routing (400 FST_ERR_BAD_URL)
          if (a.status === 400 && undecodable(p)) {
            if (route.method !== 'HEAD') expect(a.body).toContain('"code":"FST_ERR_BAD_URL"');
            continue;
          }
          expect(
            [401, 404],
            `${route.method} ${p + q} → ${a.status} ${a.body.slice(0, 200)}`,
          ).toContain(a.status);
          expect(a.body, `${route.method} ${p + q}`).not.toContain(MARK);
        }
      }
      // the canonical path with a wrong key, a malformed header and a forged cookie: 401 too
      for (const h of <Record<string, string>[]>[
        { authorization: 'Bearer wharf_0123456789ab_notthesecretnotthesecretxx' },
        { authorization: `Basic ${Buffer.from(`x:${readKey}`).toString('base64')}` },
        {
          cookie:
            'wharf_session=0123456789ab.99999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        },
      ]) {
        const a = await request(route.method, route.url, { ...headers, ...h }, body);
        expect(a.status, `${route.method} ${route.url} ${JSON.stringify(h)}`).toBe(401);
      }
    }
    process.stderr.write(
      `route-auth: ${routes.length} guarded routes, ${requests} requests without a key: ${JSON.stringify(Object.fromEntries(seen))}\n`,
    );
    expect(requests).toBeGreaterThan(1000);
    expect(seen.get(401)).toBeGreaterThan(routes.length); // the decoded aliases do reach the routes
    // nothing was stored by any of those uploads
    expect((await cloud.store.totals()).files).toBe(1);
  }, 240_000);

  it("a machine key (the one on a gateway) gets 403 on every route it is not declared for, its own machine's data included, and cannot log in", async () => {
    const machineRoutes = cloud.app.wharfRoutes
      .filter((r) => r.access === 'machine' && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`);
    expect(machineRoutes).toEqual(['GET /api/v1/session']); // + the fleet config/report routes when the fleet plugin is on
    const routes = cloud.app.wharfRoutes.filter((r) => r.access === 'key');
    expect(routes.length).toBeGreaterThanOrEqual(10);
    // its own machine (machine-a), asked by name, and no machine at all
    const queries = [
      '',
      '?machine=machine-a&limit=5&format=csv',
      '?sql=SELECT%20*%20FROM%20readings',
    ];
    for (const route of routes)
      for (const q of queries) {
        const p = route.url.replace(/:(\w+)/g, '1') + q;
        const body =
          route.method === 'POST' || route.method === 'PUT'
            ? Buffer.from(JSON.stringify({ sql: 'SELECT component_name FROM readings', days: 1 }))
            : undefined;
        const a = await request(
          route.method,
          p,
          { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
          body,
        );
        expect(a.status, `${route.method} ${p} → ${a.status} ${a.body.slice(0, 200)}`).toBe(403);
        if (route.method !== 'HEAD') {
          expect(JSON.parse(a.body).error.code).toBe('CLOUD_FORBIDDEN');
          expect(a.body).toContain('read-only key');
        }
        expect(a.body).not.toContain(MARK);
      }
    // who-am-I answers it; logging in to the UI with it is refused, and no cookie is set
    const me = await request('GET', '/api/v1/session', { authorization: `Bearer ${keyA}` });
    expect(me.status).toBe(200);
    expect(JSON.parse(me.body).machine).toBe('machine-a');
    const login = await new Promise<{ status: number; cookie: unknown; body: string }>(
      (res, rej) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: cloud.port,
            method: 'POST',
            path: '/api/v1/session',
            headers: { 'content-type': 'application/json' },
            agent: false,
          },
          (r) => {
            let b = '';
            r.on('data', (c: Buffer) => (b += c.toString()));
            r.on('end', () =>
              res({ status: r.statusCode ?? 0, cookie: r.headers['set-cookie'], body: b }),
            );
          },
        );
        req.on('error', rej);
        req.end(JSON.stringify({ api_key: keyA }));
      },
    );
    expect(login.status).toBe(403);
    expect(login.cookie).toBeUndefined();
    expect(login.body).toMatch(/log in with a read-only key/);
    // positive control: the same routes answer the read-only key
    const ok = await request('GET', '/api/v1/readings?machine=machine-a&limit=5', {
      authorization: `Bearer ${readKey}`,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain(MARK);
  });

  it('refuses request targets that are not a path at the HTTP layer (400), before any route', async () => {
    for (const p of [';/api/v1/readings', '\\api/v1/readings', 'api/v1/readings']) {
      const a = await request('GET', p, {});
      expect(a.status, p).toBe(400);
      expect(a.body).not.toContain(MARK);
    }
  });

  it('the percent-encoded /%61pi/ path of the issue reaches the route and is refused', async () => {
    for (const [m, p, body] of [
      ['GET', '/%61pi/v1/readings?limit=5', undefined],
      ['POST', '/%61pi/v1/sql', Buffer.from('{"sql":"SELECT * FROM readings"}')],
    ] as const) {
      const a = await request(m, p, { 'content-type': 'application/json' }, body);
      expect(a.status).toBe(401);
      expect(JSON.parse(a.body).error.code).toBe('CLOUD_AUTH');
    }
    const withKey = await request('GET', '/%61pi/v1/readings?limit=5', {
      authorization: `Bearer ${readKey}`,
    });
    expect(withKey.status).toBe(200); // same route: the key is what decides, not the spelling
  });
});

/** Starts an upload announcing `total` bytes, sends only `sent`, and waits for the answer. */
function partialUpload(
  headers: Record<string, string>,
  total: number,
  sent: number,
): Promise<{ status: number; body: string; sentWhenAnswered: number }> {
  return new Promise((resolve, reject) => {
    let written = 0;
    const req = http.request({
      host: '127.0.0.1',
      port: cloud.port,
      method: 'POST',
      path: '/api/v1/files',
      headers: {
        'content-length': String(total),
        'x-wharf-file-id': 'big-file',
        'x-wharf-sha256': 'ab'.repeat(32),
        ...headers,
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('no answer before the body was sent'));
    }, 15_000);
    req.on('response', (res) => {
      const at = written;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString(),
          sentWhenAnswered: at,
        });
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    const chunk = Buffer.alloc(sent, 7);
    req.write(chunk, () => (written += chunk.length));
    // the rest is never sent: only an answer given before reading the body can arrive
  });
}

describe('an upload is refused before its body is read', () => {
  const MiB16 = 16 * 1024 * 1024;

  it.each([
    ['a read-only key', () => ({ authorization: `Bearer ${readKey}` }), 403, 'CLOUD_FORBIDDEN'],
    ['no key', () => ({}), 401, 'CLOUD_AUTH'],
    [
      'a machine key declaring another machine',
      () => ({ authorization: `Bearer ${keyA}`, 'x-wharf-machine': 'machine-b' }),
      403,
      'CLOUD_FORBIDDEN',
    ],
    [
      'a machine key and the wrong content type',
      () => ({ authorization: `Bearer ${keyA}`, 'content-type': 'application/json' }),
      415,
      'CLOUD_UNSUPPORTED_MEDIA',
    ],
  ])('%s: answered after 64 KiB of a 16 MiB body', async (_n, headers, status, code) => {
    const a = await partialUpload(
      { 'content-type': 'application/octet-stream', ...headers() },
      MiB16,
      64 * 1024,
    );
    expect(a.status).toBe(status);
    expect(JSON.parse(a.body).error.code).toBe(code);
    expect(a.sentWhenAnswered).toBeLessThanOrEqual(64 * 1024);
    const metrics = await request('GET', '/metrics', {});
    expect(metrics.body).toContain(`wharf_cloud_ingest_rejected_total{code="${code}"}`);
  });

  it('16 MiB uploads with a read-only key stall nothing and cost no memory', async () => {
    const body = Buffer.alloc(MiB16, 1);
    const statuses: number[] = [];
    const h = monitorEventLoopDelay({ resolution: 10 });
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    h.enable();
    try {
      for (let i = 0; i < 5; i++) {
        const a = await request(
          'POST',
          '/api/v1/files',
          {
            authorization: `Bearer ${readKey}`,
            'content-type': 'application/octet-stream',
            'x-wharf-file-id': `ro-${i}`,
            'x-wharf-sha256': 'ab'.repeat(32),
          },
          body,
        ).catch((err: Error) => ({ status: -1, body: err.message }));
        // the server answers at once and may close the connection while the body is still going
        expect([403, -1]).toContain(a.status);
        statuses.push(a.status);
      }
    } finally {
      h.disable();
      clearInterval(sample);
    }
    const maxStallMs = h.max / 1e6;
    const grewMb = (peak - rss0) / 1e6;
    process.stderr.write(
      `read-only 16 MiB uploads x5 (answers ${statuses.join(',')}): max event-loop delay ${maxStallMs.toFixed(0)} ms, RSS +${grewMb.toFixed(1)} MB\n`,
    );
    // the client's own 16 MiB buffer is allocated before rss0; decoding would add ~100 MB each
    expect(statuses).toContain(403); // (a connection closed mid-body may also end one early)
    expect(grewMb).toBeLessThan(50);
    expect(maxStallMs).toBeLessThan(300);
    expect((await cloud.store.totals()).files).toBe(1);
  }, 60_000);
});
