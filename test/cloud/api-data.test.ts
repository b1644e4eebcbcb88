/** The cloud API's data routes as the web UI and the CLI use them: readings, series, fleet, export. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetReadObjects } from 'hyparquet';
import type { StoredRow } from '../../src/cloud/store/contract.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import { apiHarness, type ApiHarness } from './api-helper.js';
import { captureFile, meta, readings } from './fixtures.js';

const T0 = Date.UTC(2026, 0, 1);
let h: ApiHarness;
const gap: CaptureRecord = {
  kind: 'gap',
  reason: 'board_offline',
  start: T0 + 5000,
  end: T0 + 7000,
  count: 20,
  detail: 'link down',
};

beforeAll(async () => {
  h = await apiHarness();
  // esp-1: 100 readings 0..99 every 100 ms plus a gap; esp-2 (machine-b, tag line-2): 50 readings
  expect(
    (await h.upload(captureFile(meta(), [...readings(100, T0), gap]), h.keyA)).statusCode,
  ).toBe(201);
  expect(
    (
      await h.upload(
        captureFile(
          meta({ machine: 'machine-b', component_name: 'esp-2', tags: ['line-2'] }),
          readings(50, T0, 200),
        ),
        h.keyB,
      )
    ).statusCode,
  ).toBe(201);
});
afterAll(async () => {
  await h.close();
});

const json = async <T>(url: string): Promise<T> => {
  const r = await h.get(url, h.readKey);
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as T;
};

describe('GET /api/v1/readings', () => {
  it('filters and pages newest first with a cursor, every row once', async () => {
    const seen: StoredRow[] = [];
    let cursor = '';
    for (let i = 0; i < 100; i++) {
      const p = await json<{ rows: StoredRow[]; next_cursor: string | null }>(
        `/api/v1/readings?machine=machine-a&limit=30${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...p.rows);
      if (p.next_cursor === null) break;
      cursor = p.next_cursor;
    }
    expect(seen).toHaveLength(101);
    expect(new Set(seen.map((r) => r.id)).size).toBe(101);
    // the gap ends at T0+7000: between the readings received at T0+7000.5 and T0+6900.5
    expect(seen.findIndex((r) => r.kind === 'gap')).toBe(30);
    expect(
      seen
        .filter((r) => r.kind === 'reading')
        .map((r) => (r.data as unknown as { a0: { value: number } }).a0.value),
    ).toEqual([...Array(100).keys()].reverse());
  });

  it.each([
    ['kind=gap', 1],
    ['tags=line-2', 50],
    ['tags=line-1,line-2', 151],
    ['component_name=esp-2&order=asc', 50],
    // ISO times have whole milliseconds: to=…02.000Z excludes the rows received at +2000.5
    [`from=${T0 + 1000}&to=${new Date(T0 + 2000.5).toISOString()}`, 10 + 5],
    [`from=${T0 + 1000}&to=${T0 + 2000.5}`, 11 + 6],
    ['method=Gpio', 0],
    ['part_id=part-a', 151],
  ])('%s → %i rows', async (q, n) => {
    expect((await json<{ rows: unknown[] }>(`/api/v1/readings?limit=1000&${q}`)).rows).toHaveLength(
      n,
    );
  });

  it('says which parameter is wrong', async () => {
    for (const [q, word] of [
      ['limit=0', 'limit'],
      ['order=up', 'order'],
      ['kind=x', 'kind'],
      ['from=yesterday', 'from'],
      ['cursor=zzz', 'cursor'],
    ]) {
      const r = await h.get(`/api/v1/readings?${q}`, h.readKey);
      expect(r.statusCode).toBe(400);
      expect(r.json().error.message).toContain(word);
    }
  });
});

describe('GET /api/v1/series', () => {
  it('downsamples per reader to min/max/avg per bucket and lists gaps as spans', async () => {
    const s = await json<{
      series: {
        machine: string;
        key: string;
        kind: string;
        t: number[];
        v: number[];
        min: number[];
        max: number[];
        avg: number[];
      }[];
      gaps: { start: number; end: number; reason: string; count: number }[];
      points_in_range: number;
    }>(`/api/v1/series?machine=machine-a&from=${T0}&to=${T0 + 10_000}&points=10`);
    expect(s.points_in_range).toBe(101);
    const a0 = s.series.find((l) => l.key === 'a0')!;
    expect(a0.kind).toBe('analog');
    // bucket = 1 s = 10 readings: values 0..9, 10..19, …
    expect(a0.min).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(a0.max).toEqual([9, 19, 29, 39, 49, 59, 69, 79, 89, 99]);
    expect(a0.avg[0]).toBeCloseTo(4.5);
    expect(a0.t).toHaveLength(20);
    expect(a0.v.slice(0, 2)).toEqual([0, 9]);
    expect(s.series.find((l) => l.key === 'a1')!.max[0]).toBe(1000);
    expect(s.gaps).toEqual([
      {
        machine: 'machine-a',
        component_name: 'esp-1',
        method_name: 'Analogs',
        start: T0 + 5000,
        end: T0 + 7000,
        reason: 'board_offline',
        count: 20,
        detail: 'link down',
      },
    ]);
  });
});

describe('GET /api/v1/fleet', () => {
  it('gives per board and component the last seen time, readings per minute and gaps', async () => {
    const f = await json<{
      boards: {
        machine: string;
        component_name: string;
        last_seen: number;
        readings: number;
        readings_per_min: number;
        gap_count: number;
      }[];
    }>(`/api/v1/fleet?from=${T0}&to=${T0 + 60_000}`);
    expect(f.boards).toEqual([
      expect.objectContaining({
        machine: 'machine-a',
        component_name: 'esp-1',
        last_seen: T0 + 9900.5,
        readings: 100,
        readings_per_min: 100,
        gap_count: 1,
      }),
      expect.objectContaining({
        machine: 'machine-b',
        component_name: 'esp-2',
        readings: 50,
        readings_per_min: 50,
        gap_count: 0,
      }),
    ]);
  });
});

describe('GET /api/v1/export', () => {
  it('exports CSV with a header and one line per row', async () => {
    const r = await h.get('/api/v1/export?format=csv&machine=machine-a', h.readKey);
    expect(r.headers['content-type']).toContain('text/csv');
    expect(r.headers['content-disposition']).toMatch(
      /^attachment; filename="wharf-export-.*\.csv"$/,
    );
    expect(r.headers['x-wharf-rows']).toBe('101');
    const lines = r.body.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'id,kind,part_id,machine,component_type,component_name,method_name,time_requested,time_received,tags,additional_parameters,data',
    );
    expect(lines).toHaveLength(102);
    expect(lines[1]).toContain(',reading,part-a,machine-a,board,esp-1,Analogs,');
    expect(lines[1]).toContain('"{""a0"":{""value"":0,');
  });

  it('exports JSON lines that equal the query rows', async () => {
    const r = await h.get('/api/v1/export?format=jsonl&kind=gap', h.readKey);
    const rows = r.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      kind: 'gap',
      machine: 'machine-a',
      tags: ['line-1'],
      data: { reason: 'board_offline', count: 20 },
    });
  });

  it('exports Parquet that a Parquet reader reads back', async () => {
    const r = await h.get('/api/v1/export?format=parquet&machine=machine-b', h.readKey);
    expect(r.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    const p = r.rawPayload;
    const got = await parquetReadObjects({
      file: p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength) as ArrayBuffer,
    });
    expect(got).toHaveLength(50);
    expect(got[0]).toMatchObject({
      machine: 'machine-b',
      component_name: 'esp-2',
      kind: 'reading',
      time_requested: T0,
    });
    expect(JSON.parse(String(got[49]!.data))).toMatchObject({ a0: { value: 49 } });
  });

  it('exports the result of a read-only SQL query, and refuses a writing one', async () => {
    const r = await h.get(
      `/api/v1/export?format=csv&sql=${encodeURIComponent('SELECT component_name, count(*) AS n FROM readings GROUP BY component_name ORDER BY 1')}`,
      h.readKey,
    );
    expect(r.body).toBe('component_name,n\nesp-1,101\nesp-2,50\n');
    const bad = await h.get(
      `/api/v1/export?format=csv&sql=${encodeURIComponent('DELETE FROM records')}`,
      h.readKey,
    );
    expect(bad.statusCode).toBe(400);
  });
});
