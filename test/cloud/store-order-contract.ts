/**
 * Order, paging, counts and stats of a store checked against the stored rows themselves, on data
 * made to hit the edges of how a store may lay readings out: several streams whose times
 * interleave and tie, readings spread over minutes, times that go backwards within a file, gap
 * records and readings of odd shapes between ordinary ones. Run against SQLite and PostgreSQL
 * (store-sqlite.test.ts, store-postgres.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CloudStore, ReadingFilter, StoredRow } from '../../src/cloud/store/contract.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import { meta } from './fixtures.js';
import { ingestFile } from './store-contract.js';

const T0 = Date.UTC(2026, 2, 1);

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** One file's records: readings every 10–900 ms over minutes, some backwards, gaps and odd shapes. */
function records(rand: () => number, start: number, n: number): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  let t = start;
  for (let i = 0; i < n; i++) {
    t += Math.floor(rand() * 900) + 10;
    const back = rand() < 0.03 ? -Math.floor(rand() * 3000) : 0; // a board clock step back
    const tr = t + back + (rand() < 0.5 ? 0.5 : 0);
    const roll = rand();
    if (roll < 0.04)
      out.push({ kind: 'gap', reason: 'timeout', start: tr - 100, end: tr, count: 1 });
    else if (roll < 0.07)
      out.push({
        kind: 'reading',
        time_requested: tr - 1,
        time_received: tr,
        data: { odd: { value: { nested: i } } }, // not a flat reader: stored whole
      } as unknown as CaptureRecord);
    else
      out.push({
        kind: 'reading',
        time_requested: tr - 1,
        time_received: tr,
        data: {
          a0: { value: Math.floor(rand() * 4096), min_range: 0, max_range: 3.3 },
          a1: { value: rand() < 0.5 ? 0.25 : -7, min_range: roll < 0.5 ? 0 : 1, max_range: 3.3 },
        },
      });
  }
  return out;
}

const NAMES = ['esp-1', 'esp-2', 'esp-3'];

/** Every row the filter selects, page by page with the cursor. */
export async function allPages(
  store: CloudStore,
  filter: ReadingFilter,
  order: 'asc' | 'desc',
  limit: number,
): Promise<StoredRow[]> {
  const out: StoredRow[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20_000; i++) {
    const page = await store.query(filter, { limit, order, cursor });
    out.push(...page.rows);
    cursor = page.next_cursor;
    if (cursor === null) return out;
  }
  throw new Error('paging did not end');
}

const matches = (r: StoredRow, f: ReadingFilter): boolean =>
  (f.from === undefined || r.time_received >= f.from) &&
  (f.to === undefined || r.time_received <= f.to) &&
  (f.kind === undefined || r.kind === f.kind) &&
  (f.component_name === undefined || f.component_name.includes(r.component_name));

export function storeOrderContract(
  name: string,
  make: () => Promise<{ store: CloudStore; cleanup: () => Promise<void> }>,
): void {
  describe(`cloud store order and paging: ${name}`, () => {
    let store: CloudStore;
    let cleanup: () => Promise<void>;
    let sent: CaptureRecord[];
    let every: StoredRow[];

    beforeEach(async () => {
      ({ store, cleanup } = await make());
      const rand = lcg(7);
      sent = [];
      const ingest = async (name: string, recs: CaptureRecord[]): Promise<void> => {
        sent.push(...recs);
        expect((await store.ingest(ingestFile(meta({ component_name: name }), recs))).status).toBe(
          'stored',
        );
      };
      for (let file = 0; file < 3; file++)
        for (const name of NAMES) await ingest(name, records(rand, T0 + file * 200_000, 300));
      // another stream with exactly the times of esp-1's first file: every reading ties, ids decide
      await ingest('esp-tie', sent.slice(0, 300));
      every = await allPages(store, {}, 'asc', 10_000);
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    it('returns every record once, in (time received, id) order, with its data', async () => {
      expect(every).toHaveLength(sent.length);
      expect(new Set(every.map((r) => r.id)).size).toBe(sent.length);
      for (let i = 1; i < every.length; i++) {
        const a = every[i - 1]!;
        const b = every[i]!;
        expect(
          a.time_received < b.time_received || (a.time_received === b.time_received && a.id < b.id),
        ).toBe(true);
      }
      const key = (r: { kind: string; time_received: number; data: unknown }): string =>
        `${r.kind} ${r.time_received} ${JSON.stringify(r.data)}`;
      const want = sent
        .map((r) =>
          key(
            r.kind === 'reading'
              ? r
              : {
                  kind: 'gap',
                  time_received: r.end,
                  data: { reason: r.reason, count: r.count, end: r.end },
                },
          ),
        )
        .sort();
      expect(every.map(key).sort()).toEqual(want);
    });

    it('pages the same rows at any page size, and descending is ascending reversed', async () => {
      const ids = every.map((r) => r.id);
      for (const limit of [13, 250]) {
        expect((await allPages(store, {}, 'asc', limit)).map((r) => r.id)).toEqual(ids);
        expect((await allPages(store, {}, 'desc', limit)).map((r) => r.id)).toEqual(
          [...ids].reverse(),
        );
      }
    });

    it('filters by time range, stream and kind, and counts what it pages', async () => {
      const span = every[every.length - 1]!.time_received - every[0]!.time_received;
      const rand = lcg(11);
      const filters: ReadingFilter[] = [{ kind: 'gap' }, { kind: 'reading' }];
      for (let i = 0; i < 6; i++) {
        const from = every[0]!.time_received + Math.floor(rand() * span);
        filters.push({ from, to: from + Math.floor(rand() * 90_000) });
      }
      const mid = every[Math.floor(every.length / 2)]!.time_received;
      filters.push(
        { from: mid }, // a bound equal to a stored time
        { to: mid },
        { from: mid, to: mid },
        { component_name: ['esp-2'], from: mid - 30_000, to: mid + 100_000, kind: 'reading' },
      );
      for (const f of filters) {
        const want = every.filter((r) => matches(r, f)).map((r) => r.id);
        for (const limit of [1, 37]) {
          const asc = await allPages(store, f, 'asc', limit);
          expect(
            asc.map((r) => r.id),
            JSON.stringify({ f, limit }),
          ).toEqual(want);
        }
        const desc = await allPages(store, f, 'desc', 37);
        expect(
          desc.map((r) => r.id),
          JSON.stringify(f),
        ).toEqual([...want].reverse());
        expect(await store.count(f), JSON.stringify(f)).toBe(want.length);
      }
    });

    it('reports per-stream last seen and counts over any window', async () => {
      const streams = await store.streams();
      const mid = every[Math.floor(every.length / 3)]!.time_received;
      for (const [from, to] of [
        [mid, mid + 75_000],
        [every[0]!.time_received, every[every.length - 1]!.time_received],
      ] as const) {
        const stats = await store.streamStats(from, to);
        for (const s of streams) {
          const mine = every.filter((r) => r.component_name === s.component_name);
          const inRange = mine.filter((r) => r.time_received >= from && r.time_received <= to);
          expect(stats.find((x) => x.stream_id === s.id)).toEqual({
            stream_id: s.id,
            last_seen: Math.max(...mine.map((r) => r.time_received)),
            readings: inRange.filter((r) => r.kind === 'reading').length,
            gaps: inRange.filter((r) => r.kind === 'gap').length,
          });
        }
      }
    });

    it('gives the same rows through the SQL readings view', async () => {
      const sql = await store.openSql(
        'SELECT id, kind, component_name, time_requested, time_received, data FROM readings ORDER BY time_received, id',
        { timeoutMs: 20_000, maxRows: 100_000 },
      );
      const rows: unknown[][] = [];
      for await (const b of sql.batches) rows.push(...b);
      expect(
        rows.map((r) => [
          Number(r[0]),
          r[1],
          r[2],
          Number(r[3]),
          Number(r[4]),
          typeof r[5] === 'string' ? JSON.parse(r[5]) : r[5],
        ]),
      ).toEqual(
        every.map((r) => [
          r.id,
          r.kind,
          r.component_name,
          r.time_requested,
          r.time_received,
          r.data,
        ]),
      );
    });
  });
}
