/**
 * Export writers: CSV, JSON lines and Parquet, each writing rows to a Node Writable with
 * backpressure (a write waits until the stream took it), so an export of any size runs in constant
 * memory. Parquet (hyparquet-writer, Snappy) buffers one row group (default 5,000 rows) at a time.
 */
import type { Writable } from 'node:stream';
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { WharfError } from '../../shared/errors.js';

export type ExportFormat = 'csv' | 'jsonl' | 'parquet';
export const EXPORT_FORMATS: ExportFormat[] = ['csv', 'jsonl', 'parquet'];

export interface Column {
  name: string;
  type: 'number' | 'string' | 'json' | 'bool';
}

export interface RowSink {
  write(row: unknown[]): Promise<void>;
  /** Writes the trailer (Parquet footer) and ends the stream. */
  end(): Promise<void>;
  /**
   * The export failed after rows went out: writes what is buffered plus, for text formats, a
   * last line saying why (CSV `# error: CODE: message`, JSONL `{"error":{code,message}}`). The
   * caller then cuts the transfer, so no client can take the file for complete.
   */
  fail(code: string, message: string): Promise<void>;
}

export function parseFormat(v: unknown): ExportFormat {
  if (v === 'csv' || v === 'jsonl' || v === 'parquet') return v;
  throw new WharfError(
    'CLOUD_BAD_REQUEST',
    `format must be one of csv, jsonl, parquet (got '${String(v)}')`,
  );
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
};

/** Resolves when `out` took the chunk; rejects when `out` fails or closes first (client gone). */
function writeAsync(out: Writable, chunk: string | Buffer): Promise<void> {
  if (out.destroyed) return Promise.reject(new Error('the download was closed'));
  return new Promise((resolve, reject) => {
    const onClose = (): void => reject(new Error('the download was closed'));
    out.once('close', onClose);
    out.write(chunk, (err) => {
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

function endAsync(out: Writable): Promise<void> {
  return new Promise((resolve) => out.end(() => resolve()));
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A text format: rows become lines, batched into ~64 KiB writes. */
abstract class TextSink implements RowSink {
  protected buf = '';
  constructor(private readonly out: Writable) {}
  protected abstract line(row: unknown[]): string;
  protected abstract errorLine(code: string, message: string): string;
  async fail(code: string, message: string): Promise<void> {
    this.buf += this.errorLine(code, message);
    await this.flush();
  }
  async write(row: unknown[]): Promise<void> {
    this.buf += this.line(row);
    if (this.buf.length >= 64 * 1024) await this.flush();
  }
  private async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const b = this.buf;
    this.buf = '';
    await writeAsync(this.out, b);
  }
  async end(): Promise<void> {
    await this.flush();
    await endAsync(this.out);
  }
}

class CsvSink extends TextSink {
  constructor(out: Writable, columns: Column[]) {
    super(out);
    this.buf = `${columns.map((c) => csvCell(c.name)).join(',')}\n`;
  }
  protected line(row: unknown[]): string {
    return `${row.map(csvCell).join(',')}\n`;
  }
  protected errorLine(code: string, message: string): string {
    return `# error: ${code}: ${message.replace(/[\r\n]+/g, ' ')}\n`;
  }
}

class JsonlSink extends TextSink {
  constructor(
    out: Writable,
    private readonly columns: Column[],
  ) {
    super(out);
  }
  protected line(row: unknown[]): string {
    const obj: Record<string, unknown> = {};
    for (let i = 0; i < this.columns.length; i++) {
      const c = this.columns[i]!;
      const v = row[i];
      obj[c.name] = c.type === 'json' && typeof v === 'string' ? safeParse(v) : v;
    }
    return `${JSON.stringify(obj)}\n`;
  }
  protected errorLine(code: string, message: string): string {
    return `${JSON.stringify({ error: { code, message } })}\n`;
  }
}

function safeParse(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/**
 * hyparquet-writer's incremental writer on a Node Writable: each finished row group is handed to
 * the stream (awaiting backpressure) and the buffer starts over, so memory holds one row group.
 */
class StreamWriter extends ByteWriter {
  constructor(private readonly out: Writable) {
    super(256 * 1024);
  }
  flush(): Promise<void> {
    const chunk = Buffer.from(this.buffer.slice(0, this.index));
    this.index = 0;
    return writeAsync(this.out, chunk);
  }
  override finish(): Promise<void> {
    return this.flush();
  }
}

const PARQUET_TYPE: Record<Column['type'], SchemaElement> = {
  number: { name: '', type: 'DOUBLE' },
  bool: { name: '', type: 'BOOLEAN' },
  string: { name: '', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
  json: { name: '', type: 'BYTE_ARRAY', converted_type: 'UTF8' },
};

class ParquetSink implements RowSink {
  private readonly writer: ParquetWriter;
  private data: (number | boolean | string | null)[][];

  constructor(
    private readonly out: Writable,
    private readonly columns: Column[],
    private readonly rowGroupSize: number,
  ) {
    const schema: SchemaElement[] = [
      { name: 'root', num_children: columns.length },
      ...columns.map((c): SchemaElement => ({
        ...PARQUET_TYPE[c.type],
        name: c.name,
        repetition_type: 'OPTIONAL',
      })),
    ];
    this.writer = new ParquetWriter({ writer: new StreamWriter(out), schema, createdBy: 'wharf' });
    this.data = columns.map(() => []);
  }

  async write(row: unknown[]): Promise<void> {
    for (let i = 0; i < this.columns.length; i++) {
      const c = this.columns[i]!;
      const v = row[i];
      this.data[i]!.push(
        v === null || v === undefined
          ? null
          : c.type === 'number'
            ? typeof v === 'number'
              ? v
              : Number(v)
            : c.type === 'bool'
              ? Boolean(v)
              : typeof v === 'string'
                ? v
                : JSON.stringify(v),
      );
    }
    if (this.data[0]!.length >= this.rowGroupSize) await this.flushGroup();
  }

  private async flushGroup(): Promise<void> {
    const rows = this.data[0]?.length ?? 0;
    if (rows === 0) return;
    const columnData = this.columns.map((c, i) => ({ name: c.name, data: this.data[i]! }));
    this.data = this.columns.map(() => []);
    await this.writer.write({ columnData, rowGroupSize: rows });
  }

  async end(): Promise<void> {
    await this.flushGroup();
    await this.writer.finish();
    await endAsync(this.out);
  }

  async fail(): Promise<void> {
    // no place for a message in Parquet: the cut transfer is the signal
  }
}

export async function openSink(
  format: ExportFormat,
  out: Writable,
  columns: Column[],
  opts: { rowGroupSize?: number } = {},
): Promise<RowSink> {
  if (format === 'csv') return new CsvSink(out, columns);
  if (format === 'jsonl') return new JsonlSink(out, columns);
  return new ParquetSink(out, columns, opts.rowGroupSize ?? 5000);
}

/** Columns of a filtered readings export (the Viam row, JSON fields as JSON text). */
export const READING_COLUMNS: Column[] = [
  { name: 'id', type: 'number' },
  { name: 'kind', type: 'string' },
  { name: 'part_id', type: 'string' },
  { name: 'machine', type: 'string' },
  { name: 'component_type', type: 'string' },
  { name: 'component_name', type: 'string' },
  { name: 'method_name', type: 'string' },
  { name: 'time_requested', type: 'number' },
  { name: 'time_received', type: 'number' },
  { name: 'tags', type: 'json' },
  { name: 'additional_parameters', type: 'json' },
  { name: 'data', type: 'json' },
];

/** SQL result columns: typed from the first batch (numbers stay numbers, the rest is text). */
export function inferColumns(names: string[], sample: unknown[][]): Column[] {
  return names.map((name, i) => {
    let type: Column['type'] = 'string';
    for (const row of sample) {
      const v = row[i];
      if (v === null || v === undefined) continue;
      type =
        typeof v === 'number'
          ? 'number'
          : typeof v === 'boolean'
            ? 'bool'
            : typeof v === 'object'
              ? 'json'
              : 'string';
      break;
    }
    return { name, type };
  });
}
