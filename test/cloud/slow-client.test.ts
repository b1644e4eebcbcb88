/**
 * A client that sends part of a request body and then nothing does not hold its connection for
 * ever (hostile re-check of issue 11): keyless on the public login route, after a 401 on a guarded
 * route, or with a key on an upload, the cloud answers 408 and closes the connection once the
 * request timeout has passed. Real server, raw TCP sockets.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { sha } from './api-helper.js';
import { startCloud, type TestCloud } from './cloud-helper.js';
import { captureFile, meta, readings } from './fixtures.js';

let cloud: TestCloud;
let keyA = '';
const TIMEOUT_MS = 1000;

beforeAll(async () => {
  cloud = await startCloud('sqlite', { requestTimeoutMs: TIMEOUT_MS });
  keyA = (await cloud.store.createKey('machine-a')).key;
});

afterAll(async () => {
  await cloud?.close();
});

/** Sends the head and `part` of a body announced longer; resolves when the server closes. */
function stall(head: string, part: string, waitMs: number) {
  return new Promise<{ closedAfterMs: number | null; answer: string }>((resolve) => {
    const s = net.connect(cloud.port, '127.0.0.1');
    const t0 = Date.now();
    let answer = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ closedAfterMs: null, answer });
    }, waitMs);
    s.on('connect', () => s.write(`${head}\r\n\r\n${part}`));
    s.on('data', (d: Buffer) => (answer += d.toString('utf8')));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - t0, answer });
    });
  });
}

describe('a stalled request body ends at the request timeout', () => {
  it.for([
    [
      'keyless login',
      'POST /api/v1/session HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100',
      '{"api',
    ],
    [
      'keyless SQL (after its 401)',
      'POST /api/v1/sql HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100',
      '{"sql',
    ],
    [
      'an upload with a machine key',
      'POST /api/v1/files HTTP/1.1\r\nHost: x\r\ncontent-type: application/octet-stream\r\nx-wharf-file-id: f1\r\nx-wharf-sha256: 00\r\ncontent-length: 100000\r\nauthorization: Bearer KEY',
      'WHARF',
    ],
  ] as const)('%s', { timeout: 60_000 }, async ([, head, part]) => {
    const r = await stall(head.replace('KEY', keyA), part, TIMEOUT_MS + 20_000);
    expect(r.closedAfterMs, `still open; got ${JSON.stringify(r.answer.slice(0, 200))}`).not.toBe(
      null,
    );
    expect(r.closedAfterMs!).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    // a keyless request got its 401 first; every other one gets the 408
    expect(r.answer).toMatch(/^HTTP\/1\.1 (401|408) /);
  });
});

describe('a download whose client stops reading', () => {
  let slow: TestCloud;
  let readKey = '';
  beforeAll(async () => {
    slow = await startCloud('sqlite', { maxExports: 1, exportIdleMs: 1000, sqlTimeoutMs: 1000 });
    readKey = (await slow.store.createKey(null, 'reader')).key;
    const writer = (await slow.store.createKey('machine-a')).key;
    // ~80 MB of JSONL (each row repeats its stream's 4 kB of tags): more than loopback socket
    // buffers hold (up to 32 MB + 4 MB here), so a client that stops reading stalls the download
    const tags = Array.from({ length: 40 }, (_, i) => `tag-${i}-${'x'.repeat(95)}`);
    for (let i = 0; i < 4; i++) {
      const f = captureFile(meta({ tags }), readings(5_000, Date.UTC(2026, 0, 1) + i * 3_600_000));
      const r = await fetch(`${slow.url}/api/v1/files`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${writer}`,
          'content-type': 'application/octet-stream',
          'x-wharf-file-id': f.fileId,
          'x-wharf-sha256': sha(f.bytes),
        },
        body: f.bytes as Uint8Array<ArrayBuffer>,
      });
      expect(r.status).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await slow?.close();
  });

  /** A filtered export whose client takes the status line and then stops reading. */
  const exportReq = () =>
    new Promise<{ status: number; resumeToEnd(): Promise<boolean>; destroy(): void }>(
      (resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: slow.port,
            path: '/api/v1/export?format=jsonl',
            headers: { authorization: `Bearer ${readKey}` },
            agent: false,
          },
          (res) => {
            res.pause();
            resolve({
              status: res.statusCode ?? 0,
              // reads what is left; true when the download ended complete
              resumeToEnd: () =>
                new Promise<boolean>((done) => {
                  res.on('error', () => undefined);
                  res.on('close', () => done(res.complete));
                  res.resume();
                }),
              destroy: () => req.destroy(),
            });
          },
        );
        req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
        req.end();
      },
    );

  it('is cut once it has taken nothing for the idle time, and filtered exports running at once are bounded (429)', async () => {
    const stalled = await exportReq();
    expect(stalled.status).toBe(200);
    const busy = await fetch(`${slow.url}/api/v1/export?format=csv`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(busy.status).toBe(429);
    expect(((await busy.json()) as { error: { code: string } }).error.code).toBe('CLOUD_SQL_BUSY');
    // the stalled download is cut after the idle time, which frees its slot: a new export runs
    let ok: Response | null = null;
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      ok = await fetch(`${slow.url}/api/v1/export?format=csv&kind=gap`, {
        headers: { authorization: `Bearer ${readKey}` },
      });
      if (ok.status === 200) break;
      await ok.arrayBuffer();
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ok?.status, 'the stalled download still holds its slot').toBe(200);
    expect(await ok!.text()).toMatch(/^id,kind,/);
    // and what the stalled client gets when it reads on is an incomplete download, never a whole file
    expect(await stalled.resumeToEnd()).toBe(false);
    stalled.destroy();
  }, 60_000);
});
