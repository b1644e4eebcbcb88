/**
 * Bad content is set aside, never an outage (issue 11, items 3 and 4), against a real cloud over
 * HTTP: a file the cloud rejects goes to failed/ with a `sync_rejected` gap for its readings while
 * the rest keeps syncing; a finished file damaged on disk gives up only its damaged part.
 */
import { existsSync, readdirSync, readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFinishedFiles, walkCaptureDir } from '../../src/capture/files.js';
import type { StoredRow } from '../../src/cloud/store/contract.js';
import { memoryLogger } from '../../src/shared/logger.js';
import { HttpSyncTarget } from '../../src/sync/http-target.js';
import { SyncWorker } from '../../src/sync/worker.js';
import { startCloud, type TestCloud } from '../cloud/cloud-helper.js';
import { meta, readings } from '../cloud/fixtures.js';
import { runCli } from '../helpers/cli.js';
import { writeCaptureFile } from './capture-dir.js';
import { decodeCaptureFile } from '../../src/capture/file-format.js';

let dir: string;
let cloud: TestCloud;
let key: string;
const T0 = Date.UTC(2026, 0, 1);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wharf-reject-'));
  cloud = await startCloud('sqlite');
  key = (await cloud.store.createKey('machine-a')).key;
});
afterEach(async () => {
  await cloud.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the cloud holds, read with a read-only key (the machine key uploads, and reads nothing). */
async function rows(): Promise<StoredRow[]> {
  const reader = (await cloud.store.createKey(null, 'reader')).key;
  const res = await fetch(`${cloud.url}/api/v1/readings?order=asc&limit=1000`, {
    headers: { authorization: `Bearer ${reader}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: StoredRow[] }).rows;
}

const gapsOf = (rs: StoredRow[], reason: string) =>
  rs.filter((r) => r.kind === 'gap' && (r.data as { reason: string }).reason === reason);

function worker(log = memoryLogger()): SyncWorker {
  return new SyncWorker({
    captureDir: dir,
    target: new HttpSyncTarget({ url: cloud.url, apiKey: key }),
    intervalMs: 60_000,
    persistStatus: false,
    logger: log,
  });
}

describe('a file the cloud rejects', () => {
  it('moves to failed/, leaves a sync_rejected gap with the span and count of its readings, and the rest syncs', async () => {
    // The cloud already holds file X; a second file claiming the same id with other content is bad
    // content (the cloud answers 4xx naming it), and retrying it can never help.
    const first = writeCaptureFile(dir, meta(), readings(3, T0), T0);
    expect(await worker().syncNow()).toMatchObject({ uploaded: 1, error: null });
    const bad = writeCaptureFile(dir, meta(), readings(7, T0 + 60_000), T0 + 60_000);
    // same id, different bytes: rewrite the bad file with the first file's id
    const { captureFile } = await import('../cloud/fixtures.js');
    const clash = captureFile(meta(), readings(7, T0 + 60_000), first.fileId, T0 + 60_000);
    writeFileSync(bad.path, clash.bytes);
    const good = writeCaptureFile(dir, meta(), readings(4, T0 + 120_000), T0 + 120_000);

    const log = memoryLogger();
    const r = await worker(log).syncNow();
    expect(r.error).toBeNull();
    expect(r.failed).toBe(1);
    expect(r.remaining).toBe(0);
    expect(existsSync(bad.path)).toBe(false);
    expect(existsSync(good.path)).toBe(false);
    const failed = await walkCaptureDir(join(dir, 'failed'), ['.capture'], true);
    expect(failed).toHaveLength(1);
    expect(readFileSync(`${failed[0]!.path}.reason.txt`, 'utf8')).toContain('rejected');

    const all = await rows();
    expect(all.filter((x) => x.kind === 'reading')).toHaveLength(3 + 4);
    const gaps = gapsOf(all, 'sync_rejected');
    expect(gaps).toHaveLength(1);
    const g = gaps[0]!;
    expect((g.data as { count: number }).count).toBe(7);
    expect(g.time_requested).toBe(T0 + 60_000);
    expect((g.data as { end: number }).end).toBe(T0 + 60_000 + 6 * 100 + 0.5);
    expect(
      log.lines.some((l) => l.level === 'error' && /rejected a capture file/.test(l.msg)),
    ).toBe(true);
    // nothing left behind to retry forever
    expect(await listFinishedFiles(dir)).toHaveLength(0);
    expect(await worker().syncNow()).toMatchObject({ uploaded: 0, failed: 0, remaining: 0 });
  });

  it.for([
    ['a NaN time', (r: Record<string, unknown>) => (r.time_requested = Number.NaN)],
    ['a BigInt value', (r: Record<string, unknown>) => (r.data = { A1: { value: 10n } })],
    ['no time at all', (r: Record<string, unknown>) => delete r.time_requested],
  ] as const)(
    'a checksum-valid file with %s in a record: the real cloud answers 422 naming it, the file is set aside, the rest syncs',
    async ([, spoil]) => {
      const before = writeCaptureFile(dir, meta(), readings(2, T0), T0);
      const recs = readings(5, T0 + 60_000);
      spoil(recs[3] as unknown as Record<string, unknown>);
      const bad = writeCaptureFile(dir, meta(), recs, T0 + 60_000);
      const after = writeCaptureFile(dir, meta(), readings(4, T0 + 120_000), T0 + 120_000);
      const log = memoryLogger();
      const r = await worker(log).syncNow();
      expect(r).toMatchObject({ error: null, failed: 1, remaining: 0 });
      for (const f of [before, bad, after]) expect(existsSync(f.path)).toBe(false);
      const failed = await walkCaptureDir(join(dir, 'failed'), ['.capture'], true);
      expect(failed).toHaveLength(1);
      const reason = readFileSync(`${failed[0]!.path}.reason.txt`, 'utf8');
      expect(reason).toMatch(/422/);
      expect(reason).toMatch(/record 3/);
      const all = await rows();
      expect(all.filter((x) => x.kind === 'reading')).toHaveLength(2 + 4);
      const gaps = gapsOf(all, 'sync_rejected');
      expect(gaps).toHaveLength(1);
      expect((gaps[0]!.data as { count: number }).count).toBe(5);
    },
  );

  it('a file too large for the cloud (413) is set aside the same way, behind it the backlog drains', async () => {
    await cloud.close();
    cloud = await startCloud('sqlite', { maxFileBytes: 4000 });
    key = (await cloud.store.createKey('machine-a')).key;
    const big = writeCaptureFile(dir, meta(), readings(200, T0), T0);
    const after = [1, 2, 3].map((i) =>
      writeCaptureFile(dir, meta(), readings(2, T0 + i * 60_000), T0 + i * 60_000),
    );
    const r = await worker().syncNow();
    expect(r).toMatchObject({ failed: 1, error: null, remaining: 0 });
    expect(existsSync(big.path)).toBe(false);
    for (const a of after) expect(existsSync(a.path)).toBe(false);
    const all = await rows();
    expect(all.filter((x) => x.kind === 'reading')).toHaveLength(6);
    expect((gapsOf(all, 'sync_rejected')[0]?.data as { count: number }).count).toBe(200);
  });

  it('`wharf status` never prints NaN for a backlog file with bad times', async () => {
    writeCaptureFile(
      dir,
      meta(),
      [{ kind: 'reading', time_requested: NaN, time_received: NaN, data: {} }, ...readings(2, T0)],
      T0,
    );
    // and one whose header time is NaN too
    const { captureFile } = await import('../cloud/fixtures.js');
    const nan = captureFile(
      meta({ component_name: 'esp-2' }),
      [{ kind: 'reading', time_requested: NaN, time_received: NaN, data: {} }],
      undefined,
      NaN,
    );
    const p = writeCaptureFile(dir, meta({ component_name: 'esp-2' }), [], T0 - 1000).path;
    writeFileSync(p, nan.bytes);
    const res = await runCli(['status', '--dir', dir], {}, dir);
    expect(res.out).not.toMatch(/NaN/);
    expect(res.out).toMatch(/backlog\s+2 file\(s\)/);
  });
});

describe('a finished file damaged on disk', () => {
  for (const [how, damage] of [
    ['torn tail (cut mid-record)', (b: Uint8Array, at: number) => b.subarray(0, at + 5)],
    [
      'corrupt record (one byte flipped)',
      (b: Uint8Array, at: number) => {
        const c = Uint8Array.from(b);
        c[at + 6] = c[at + 6]! ^ 0xff;
        return c;
      },
    ],
  ] as const) {
    it(`${how}: every record before the damage reaches the cloud, a recovery_truncated gap marks the rest, the original stays in failed/`, async () => {
      const f = writeCaptureFile(dir, meta(), readings(50, T0), T0);
      // where the 31st record starts: decode the intact file and find its 30-record prefix
      const full = decodeCaptureFile(f.bytes);
      expect(full.records).toHaveLength(50);
      const at = frameOffset(f.bytes, 30);
      writeFileSync(f.path, damage(f.bytes, at));
      const other = writeCaptureFile(dir, meta(), readings(5, T0 + 60_000), T0 + 60_000);

      const r = await worker().syncNow();
      expect(r.error).toBeNull();
      expect(r.remaining).toBe(0);
      expect(existsSync(other.path)).toBe(false);
      const all = await rows();
      const got = all.filter((x) => x.kind === 'reading');
      expect(got).toHaveLength(30 + 5);
      expect(got.slice(0, 30).map((x) => x.time_requested)).toEqual(
        readings(30, T0).map((x) => (x as { time_requested: number }).time_requested),
      );
      const cut = gapsOf(all, 'recovery_truncated');
      expect(cut).toHaveLength(1);
      expect(cut[0]!.time_requested).toBe(T0 + 29 * 100 + 0.5);
      const failed = readdirSync(join(dir, 'failed', 'board', 'esp-1', 'Analogs'));
      expect(failed.filter((n) => n.endsWith('.capture'))).toHaveLength(1);
      const kept = readFileSync(
        join(
          dir,
          'failed',
          'board',
          'esp-1',
          'Analogs',
          failed.find((n) => n.endsWith('.capture'))!,
        ),
      );
      expect(Buffer.compare(kept, Buffer.from(damage(f.bytes, at)))).toBe(0);
      // `wharf data stats` over the dir now reads clean (the damaged original is in failed/)
      const stats = await runCli(['data', 'stats', dir], {}, dir);
      expect(stats.out).toContain('1 in failed/, 0 damaged, 0 unreadable');
      expect(stats.err).toMatch(/set aside: .*failed.*record|set aside: .*failed/);
      expect(stats.code).toBe(0);
    });
  }
});

/** Byte offset of frame number `n` (0-based) in a capture file. */
function frameOffset(bytes: Uint8Array, n: number): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 16 + dv.getUint32(12, true) + 4;
  for (let i = 0; i < n; i++) off += dv.getUint32(off, true) + 8;
  return off;
}

describe('the HTTP target maps the cloud answers', () => {
  // a plain HTTP server standing in for a cloud that answers 422 naming the bad record (what the
  // cloud's record validation answers), 503, or 201: the mapping is the target's, not the cloud's
  it('422 CLOUD_INGEST_REJECTED is rejected content (set aside with its code), 503 keeps the file', async () => {
    const { createServer } = await import('node:http');
    const seen: string[] = [];
    let mode: 'reject' | 'down' = 'down';
    let badId = '';
    const srv = createServer((req, res) => {
      const id = String(req.headers['x-wharf-file-id']);
      seen.push(id);
      req.resume();
      req.on('end', () => {
        if (mode === 'down') {
          res.writeHead(503).end('{"error":{"code":"CLOUD_STORE","message":"store down"}}');
        } else if (id === badId) {
          res
            .writeHead(422, { 'content-type': 'application/json' })
            .end(
              '{"error":{"code":"CLOUD_INGEST_REJECTED","message":"record 0: time_requested is not a finite number"}}',
            );
        } else
          res
            .writeHead(201, { 'content-type': 'application/json' })
            .end('{"status":"stored","records":1}');
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const bad = writeCaptureFile(dir, meta(), readings(2, T0), T0);
      badId = bad.fileId;
      const w = new SyncWorker({
        captureDir: dir,
        target: new HttpSyncTarget({ url: `http://127.0.0.1:${port}`, apiKey: 'k' }),
        intervalMs: 60_000,
        persistStatus: false,
      });
      const down = await w.syncNow();
      expect(down.error?.code).toBe('SYNC_UNREACHABLE');
      expect(existsSync(bad.path)).toBe(true);
      mode = 'reject';
      const r = await w.syncNow();
      expect(r).toMatchObject({ failed: 1, uploaded: 1, error: null, remaining: 0 });
      expect(seen).toContain(`${bad.fileId}-rejected`);
      const failed = await walkCaptureDir(join(dir, 'failed'), ['.capture'], true);
      expect(readFileSync(`${failed[0]!.path}.reason.txt`, 'utf8')).toMatch(
        /\(422\): record 0: time_requested is not a finite number \[CLOUD_INGEST_REJECTED\]/,
      );
      await w.stop();
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});

describe('a refusal that is not about the content (hostile re-check of issue 11)', () => {
  it('a file of another machine (the machine was renamed) stays where it is, and the newer files sync past it', async () => {
    const renamed = writeCaptureFile(dir, meta({ machine: 'old-name' }), readings(3, T0), T0);
    const good = writeCaptureFile(dir, meta(), readings(4, T0 + 60_000), T0 + 60_000);
    const log = memoryLogger();
    const r = await worker(log).syncNow();
    expect(r).toMatchObject({ error: null, uploaded: 1, failed: 0, remaining: 1 });
    expect(r.refused?.code).toBe('SYNC_AUTH');
    expect(r.refused?.message).toContain("'old-name'");
    // kept as it is for that machine's key: not set aside, no gap claims its readings are lost
    expect(existsSync(renamed.path)).toBe(true);
    expect(existsSync(good.path)).toBe(false);
    expect(existsSync(join(dir, 'failed'))).toBe(false);
    const all = await rows();
    expect(all.filter((x) => x.kind === 'reading')).toHaveLength(4);
    expect(all.filter((x) => x.kind === 'gap')).toHaveLength(0);
    expect(log.lines.some((l) => l.level === 'warn' && /old-name/.test(String(l.obj.err)))).toBe(
      true,
    );
  });

  it('a file damaged on the way (checksum mismatch) is sent again, not set aside with a gap', async () => {
    const f = writeCaptureFile(dir, meta(), readings(5, T0), T0);
    let damaged = 0;
    // the network: the first upload's bytes arrive with one byte flipped
    const flaky: typeof fetch = (url, init) => {
      if (damaged === 0 && init?.body instanceof Uint8Array) {
        damaged++;
        const copy = Uint8Array.from(init.body);
        copy[copy.length - 3]! ^= 0xff;
        return fetch(url, { ...init, body: copy });
      }
      return fetch(url, init);
    };
    const w = (): SyncWorker =>
      new SyncWorker({
        captureDir: dir,
        target: new HttpSyncTarget({ url: cloud.url, apiKey: key, fetch: flaky }),
        intervalMs: 60_000,
        persistStatus: false,
      });
    const first = await w().syncNow();
    expect(damaged).toBe(1);
    expect(first.error?.code).toBe('SYNC_UNREACHABLE');
    expect(first).toMatchObject({ failed: 0, remaining: 1 });
    expect(existsSync(f.path)).toBe(true);
    expect(existsSync(join(dir, 'failed'))).toBe(false);
    const second = await w().syncNow();
    expect(second).toMatchObject({ error: null, uploaded: 1, failed: 0, remaining: 0 });
    const all = await rows();
    expect(all.filter((x) => x.kind === 'reading')).toHaveLength(5);
    expect(all.filter((x) => x.kind === 'gap')).toHaveLength(0);
  });
});
