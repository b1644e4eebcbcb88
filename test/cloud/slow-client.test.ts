/**
 * A client that sends part of a request body and then nothing does not hold its connection for
 * ever (hostile re-check of issue 11): keyless on the public login route, after a 401 on a guarded
 * route, or with a key on an upload, the cloud answers 408 and closes the connection once the
 * request timeout has passed. Real server, raw TCP sockets.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type TestCloud } from './cloud-helper.js';

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
