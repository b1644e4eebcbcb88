/**
 * The Parquet export (hyparquet-writer, no AWS SDK) is a file other readers take: written through a
 * real Node stream in several row groups, with nulls, numbers, booleans and JSON text, and read
 * back with an independent reader (hyparquet). Row groups reach the stream as they fill (bounded
 * memory), and an export with no rows is still a valid, empty file.
 */
import { PassThrough } from 'node:stream';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { openSink, READING_COLUMNS, type Column } from '../../src/cloud/export/sinks.js';

async function exportRows(
  columns: Column[],
  rows: unknown[][],
  rowGroupSize: number,
): Promise<{ file: ArrayBuffer; chunksBeforeEnd: number }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const sink = await openSink('parquet', out, columns, { rowGroupSize });
  for (const r of rows) await sink.write(r);
  const chunksBeforeEnd = chunks.length;
  await sink.end();
  const buf = Buffer.concat(chunks);
  return {
    file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer,
    chunksBeforeEnd,
  };
}

describe('Parquet export', () => {
  it('writes row groups that an independent Parquet reader reads back, nulls and types kept', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => [
      i,
      i % 2 === 0 ? 'reading' : 'gap',
      'part-1',
      'machine-a',
      'board',
      'esp-1',
      'Analogs',
      1_767_225_600_000 + i * 100,
      i % 7 === 0 ? null : 1_767_225_600_000 + i * 100 + 3,
      ['line-1'],
      { A0: '' },
      { a0: { value: i / 2 } },
    ]);
    const { file, chunksBeforeEnd } = await exportRows(READING_COLUMNS, rows, 1000);
    expect(Buffer.from(file.slice(0, 4)).toString()).toBe('PAR1');
    // two full row groups were on the stream before end() wrote the third and the footer
    expect(chunksBeforeEnd).toBeGreaterThanOrEqual(2);
    const meta = parquetMetadata(file);
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual([1000, 1000, 500]);
    const got = await parquetReadObjects({ file });
    expect(got).toHaveLength(2500);
    expect(got[0]).toMatchObject({
      id: 0,
      kind: 'reading',
      machine: 'machine-a',
      time_requested: 1_767_225_600_000,
      time_received: null,
      tags: '["line-1"]',
    });
    expect(got[1]!.time_received).toBe(1_767_225_600_103);
    expect(JSON.parse(String(got[2499]!.data))).toEqual({ a0: { value: 1249.5 } });
  });

  it('keeps booleans and writes a valid empty file for no rows', async () => {
    const cols: Column[] = [
      { name: 'ok', type: 'bool' },
      { name: 'n', type: 'number' },
    ];
    const one = await exportRows(
      cols,
      [
        [true, '5'],
        [false, null],
      ],
      10,
    );
    expect(await parquetReadObjects({ file: one.file })).toEqual([
      { ok: true, n: 5 },
      { ok: false, n: null },
    ]);
    const empty = await exportRows(cols, [], 10);
    expect(Number(parquetMetadata(empty.file).num_rows)).toBe(0);
    expect(await parquetReadObjects({ file: empty.file })).toEqual([]);
  });
});
