/**
 * The one cloud store suite, run against SQLite and PostgreSQL (store-sqlite.test.ts,
 * store-postgres.test.ts). Each test gets a fresh, empty store.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudStore, IngestFile, StoredRow } from '../../src/cloud/store/contract.js';
import type { CaptureMeta, CaptureRecord } from '../../src/shared/record.js';
import { meta, readings } from './fixtures.js';

let n = 0;
export function ingestFile(
  m: CaptureMeta,
  records: CaptureRecord[],
  fileId = `f-${process.pid}-${++n}`,
): IngestFile {
  const sha256 = createHash('sha256')
    .update(JSON.stringify([fileId, records]))
    .digest('hex');
  return { file_id: fileId, sha256, bytes: 100, meta: m, records };
}

async function all(
  store: CloudStore,
  order: 'asc' | 'desc' = 'asc',
  limit = 7,
): Promise<StoredRow[]> {
  const out: StoredRow[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 10_000; i++) {
    const page = await store.query({}, { limit, order, cursor });
    out.push(...page.rows);
    cursor = page.next_cursor;
    if (cursor === null) break;
  }
  return out;
}

export function cloudStoreContract(
  name: string,
  make: () => Promise<{ store: CloudStore; cleanup: () => Promise<void> }>,
): void {
  describe(`cloud store contract: ${name}`, () => {
    let store: CloudStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await make());
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('stores every record of a file and returns them as Viam rows with their values', async () => {
      const recs = readings(25);
      const gap: CaptureRecord = {
        kind: 'gap',
        reason: 'timeout',
        start: Date.UTC(2026, 0, 2),
        end: Date.UTC(2026, 0, 2) + 500,
        count: 5,
        detail: 'read timed out',
      };
      const r = await store.ingest(ingestFile(meta(), [...recs, gap]));
      expect(r).toEqual({ status: 'stored', records: 26 });
      const rows = await all(store);
      expect(rows).toHaveLength(26);
      expect(rows.slice(0, 25).map((x) => x.data)).toEqual(
        recs.map((x) => (x.kind === 'reading' ? x.data : null)),
      );
      expect(rows[0]).toMatchObject({
        kind: 'reading',
        machine: 'machine-a',
        part_id: 'part-a',
        component_type: 'board',
        component_name: 'esp-1',
        method_name: 'Analogs',
        tags: ['line-1'],
        additional_parameters: {},
      });
      expect(rows[0]!.time_requested).toBe(
        recs[0]!.kind === 'reading' ? recs[0]!.time_requested : 0,
      );
      expect(rows[25]).toMatchObject({
        kind: 'gap',
        time_requested: gap.start,
        time_received: gap.end,
        data: { reason: 'timeout', count: 5, end: gap.end, detail: 'read timed out' },
      });
      expect(await store.totals()).toEqual({ files: 1, records: 26 });
    });

    it('answers already_stored for a file it has, without adding rows', async () => {
      const f = ingestFile(meta(), readings(10));
      expect((await store.ingest(f)).status).toBe('stored');
      expect(await store.ingest(f)).toEqual({ status: 'already_stored', records: 10 });
      expect((await store.totals()).records).toBe(10);
    });

    it('stores a file once when the same upload arrives twice at the same time', async () => {
      const f = ingestFile(meta(), readings(500));
      const results = await Promise.all([store.ingest(f), store.ingest(f), store.ingest(f)]);
      expect(results.map((r) => r.status).sort()).toEqual([
        'already_stored',
        'already_stored',
        'stored',
      ]);
      expect((await store.totals()).records).toBe(500);
    });

    it('refuses a reused file id with other content and keeps the first', async () => {
      const f = ingestFile(meta(), readings(3), 'same-id');
      await store.ingest(f);
      await expect(
        store.ingest({ ...f, sha256: 'f'.repeat(64), records: readings(9) }),
      ).rejects.toMatchObject({ code: 'CLOUD_BAD_REQUEST' });
      expect((await store.totals()).records).toBe(3);
    });

    it('stores nothing of a file whose ingest fails half-way', async () => {
      const bad = {
        kind: 'bogus',
        time_requested: 1,
        time_received: 1,
        data: {},
      } as unknown as CaptureRecord;
      const f = ingestFile(meta(), [...readings(50), bad]);
      await expect(store.ingest(f)).rejects.toMatchObject({ code: 'CLOUD_STORE' });
      expect(await store.totals()).toEqual({ files: 0, records: 0 });
      // the same file id can be ingested once fixed
      expect((await store.ingest({ ...f, records: readings(50) })).status).toBe('stored');
    });

    it('stores concurrent files independently: a failing one leaves the others stored', async () => {
      const bad = {
        kind: 'bogus',
        time_requested: 1,
        time_received: 1,
        data: {},
      } as unknown as CaptureRecord;
      const files = [
        ingestFile(meta(), readings(30)),
        ingestFile(meta(), [...readings(30), bad]),
        ingestFile(meta({ component_name: 'esp-2' }), readings(40)),
      ];
      const results = await Promise.allSettled(files.map((f) => store.ingest(f)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await store.totals()).toEqual({ files: 2, records: 70 });
    });

    it('pages through every row once with the cursor, ascending and descending', async () => {
      await store.ingest(ingestFile(meta(), readings(30, Date.UTC(2026, 0, 1))));
      await store.ingest(
        ingestFile(meta({ component_name: 'esp-2' }), readings(30, Date.UTC(2026, 0, 1))),
      );
      const asc = await all(store, 'asc');
      const desc = await all(store, 'desc');
      expect(asc).toHaveLength(60);
      expect(new Set(asc.map((r) => r.id)).size).toBe(60);
      expect(desc.map((r) => r.id)).toEqual(asc.map((r) => r.id).reverse());
      for (let i = 1; i < asc.length; i++)
        expect(asc[i]!.time_received).toBeGreaterThanOrEqual(asc[i - 1]!.time_received);
      await expect(store.query({}, { limit: 0, order: 'asc' })).rejects.toMatchObject({
        code: 'CLOUD_BAD_REQUEST',
      });
      await expect(
        store.query({}, { limit: 5, order: 'asc', cursor: 'garbage' }),
      ).rejects.toMatchObject({ code: 'CLOUD_BAD_REQUEST' });
    });

    it('filters by machine, part, component, method, kind, time range and tags (any of)', async () => {
      const t0 = Date.UTC(2026, 0, 1);
      await store.ingest(ingestFile(meta(), readings(10, t0)));
      await store.ingest(
        ingestFile(
          meta({ machine: 'machine-b', part_id: 'part-b', tags: ['line-2', 'x'] }),
          readings(5, t0),
        ),
      );
      await store.ingest(
        ingestFile(meta({ component_name: 'esp-9', method_name: 'Gpio', tags: [] }), [
          { kind: 'reading', time_requested: t0, time_received: t0, data: { '4': { high: true } } },
          { kind: 'gap', reason: 'board_offline', start: t0 + 10, end: t0 + 20, count: 2 },
        ]),
      );
      const q = async (f: Parameters<CloudStore['query']>[0]): Promise<number> =>
        (await store.query(f, { limit: 1000, order: 'asc' })).rows.length;
      expect(await q({ machine: ['machine-b'] })).toBe(5);
      expect(await q({ machine: ['machine-a', 'machine-b'] })).toBe(17);
      expect(await q({ part_id: ['part-b'] })).toBe(5);
      expect(await q({ component_name: ['esp-9'] })).toBe(2);
      expect(await q({ component_type: ['camera'] })).toBe(0);
      expect(await q({ method: ['Gpio'] })).toBe(2);
      expect(await q({ kind: 'gap' })).toBe(1);
      expect(await q({ kind: 'gap', machine: ['machine-b'] })).toBe(0);
      expect(await q({ tags: ['x', 'nope'] })).toBe(5);
      expect(await q({ tags: ['line-1', 'line-2'] })).toBe(15);
      expect(await q({ from: t0 + 200, to: t0 + 400.5 })).toBe(3 + 3);
      expect(await store.count({ machine: ['machine-a'] })).toBe(12);
      const gap = (await store.query({ kind: 'gap' }, { limit: 10, order: 'asc' })).rows[0]!;
      expect(gap).toMatchObject({
        component_name: 'esp-9',
        time_requested: t0 + 10,
        time_received: t0 + 20,
        data: { reason: 'board_offline', count: 2 },
      });
    });

    it('reports per-stream last seen and counts', async () => {
      const t0 = Date.UTC(2026, 0, 1);
      await store.ingest(
        ingestFile(meta(), [
          ...readings(10, t0),
          { kind: 'gap', reason: 'timeout', start: t0 + 5000, end: t0 + 6000, count: 1 },
        ]),
      );
      const streams = await store.streams();
      expect(streams).toHaveLength(1);
      const [s] = await store.streamStats(t0, t0 + 500);
      expect(s).toEqual({ stream_id: streams[0]!.id, last_seen: t0 + 6000, readings: 5, gaps: 0 });
    });

    it('does not count rate_change marks (count 0, not a hole) as gaps', async () => {
      const t0 = Date.UTC(2026, 0, 2);
      await store.ingest(
        ingestFile(meta(), [
          ...readings(4, t0),
          {
            kind: 'gap',
            reason: 'rate_change',
            start: t0 + 10,
            end: t0 + 10,
            count: 0,
            detail: 'capture_frequency_hz 2 → 5 (x)',
          },
          { kind: 'gap', reason: 'timeout', start: t0 + 600, end: t0 + 700, count: 1 },
        ]),
      );
      const [s] = await store.streamStats(t0, t0 + 10_000);
      expect(s).toMatchObject({ readings: 4, gaps: 1 });
      // still a record in the stream, so a chart or a query finds where the rate changed
      expect(
        (await store.query({ kind: 'gap' }, { limit: 10, order: 'asc' })).rows.map(
          (r) => (r.data as { reason: string }).reason,
        ),
      ).toEqual(['rate_change', 'timeout']);
    });

    it('keeps keys hashed, verifies, lists and revokes them', async () => {
      const a = await store.createKey('machine-a', 'line a');
      const ro = await store.createKey(null, 'analyst');
      expect(a.key).toMatch(/^wharf_[0-9a-f]{12}_/);
      expect(await store.verifyKey(a.key)).toMatchObject({
        id: a.info.id,
        machine: 'machine-a',
        label: 'line a',
      });
      expect(await store.verifyKey(`${a.key.slice(0, -2)}xx`)).toBeNull();
      expect(await store.verifyKey('nonsense')).toBeNull();
      const list = await store.listKeys();
      expect(list.map((k) => k.id).sort()).toEqual([a.info.id, ro.info.id].sort());
      expect(JSON.stringify(list)).not.toContain(a.key.slice('wharf_'.length + 13));
      expect(await store.revokeKey(a.info.id)).toBe(true);
      expect(await store.revokeKey(a.info.id)).toBe(false);
      expect(await store.verifyKey(a.key)).toBeNull();
      expect(await store.keyById(a.info.id)).toBeNull();
      expect(await store.keyById(ro.info.id)).toMatchObject({ machine: null });
    });

    describe('read-only SQL', () => {
      const collect = async (
        sql: string,
        maxRows = 1000,
        timeoutMs = 5000,
      ): Promise<{ columns: string[]; rows: unknown[][] }> => {
        const s = await store.openSql(sql, { timeoutMs, maxRows, batchSize: 4 });
        const rows: unknown[][] = [];
        for await (const b of s.batches) rows.push(...b);
        return { columns: s.columns, rows };
      };

      it('runs a SELECT over the readings view with Viam columns, in batches', async () => {
        await store.ingest(ingestFile(meta(), readings(10)));
        const r = await collect(
          "SELECT machine, component_name, method_name, kind, count(*) AS n FROM readings WHERE kind = 'reading' GROUP BY machine, component_name, method_name, kind",
        );
        expect(r.columns).toEqual(['machine', 'component_name', 'method_name', 'kind', 'n']);
        expect(r.rows).toEqual([['machine-a', 'esp-1', 'Analogs', 'reading', 10]]);
        const cols = await collect('SELECT * FROM readings LIMIT 1');
        expect(cols.columns).toEqual(
          expect.arrayContaining([
            'part_id',
            'machine',
            'component_type',
            'component_name',
            'method_name',
            'additional_parameters',
            'tags',
            'time_requested',
            'time_received',
            'data',
            'kind',
            'id',
          ]),
        );
        const many = await collect('SELECT id FROM readings', 7);
        expect(many.rows).toHaveLength(7);
      });

      it.each([
        ['DROP TABLE records'],
        ['DELETE FROM records'],
        ["INSERT INTO api_keys VALUES ('x', 'y', NULL, '', 0, NULL)"],
        ['UPDATE records SET kind = 1'],
        ["ATTACH DATABASE '/tmp/x.db' AS x"],
        ['PRAGMA journal_mode = DELETE'],
        ['SELECT 1; DROP TABLE records'],
        ['/* hi */ CREATE TABLE t (x int)'],
        ['SET statement_timeout = 0'],
        ['WITH d AS (DELETE FROM records RETURNING id) SELECT * FROM d'],
      ])('refuses %s and changes nothing', async (sql) => {
        await store.ingest(ingestFile(meta(), readings(3)));
        await expect(store.openSql(sql, { timeoutMs: 5000, maxRows: 10 })).rejects.toMatchObject({
          code: 'CLOUD_SQL_REFUSED',
        });
        expect((await store.totals()).records).toBe(3);
      });

      it('does not let SQL read the API key table', async () => {
        await store.createKey('machine-a');
        await expect(
          store.openSql('SELECT hash FROM api_keys', { timeoutMs: 5000, maxRows: 10 }),
        ).rejects.toMatchObject({ code: 'CLOUD_SQL_REFUSED' });
        await expect(
          store.openSql('SELECT r.id FROM readings r WHERE EXISTS (SELECT 1 FROM api_keys)', {
            timeoutMs: 5000,
            maxRows: 10,
          }),
        ).rejects.toMatchObject({ code: 'CLOUD_SQL_REFUSED' });
      });

      it('stops a statement at the timeout', async () => {
        const t = Date.now();
        const run = async (): Promise<unknown> =>
          collect(
            'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c',
            10,
            400,
          );
        await expect(run()).rejects.toMatchObject({
          code: 'CLOUD_SQL_REFUSED',
          message: expect.stringContaining('timeout'),
        });
        expect(Date.now() - t).toBeLessThan(5000);
      });

      it('reports a syntax error as a bad request', async () => {
        await expect(collect('SELECT FROM WHERE')).rejects.toMatchObject({
          code: 'CLOUD_BAD_REQUEST',
        });
      });
    });
  });
}
