/** A small client of the cloud API for the CLI (`wharf query`, `wharf cloud export`). */
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { WharfError, errorMessage } from '../shared/errors.js';
import { hideUserinfo } from '../shared/secrets.js';
import { filterToQuery } from './filters.js';
import { fmtBytes, type Progress } from './progress.js';
import type { QueryPage, ReadingFilter } from './store/contract.js';

export class CloudClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string,
  ) {}

  private url(path: string, q?: URLSearchParams): string {
    const u = new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
    if (q !== undefined) u.search = q.toString();
    return u.href;
  }

  private async request(
    path: string,
    init: RequestInit = {},
    q?: URLSearchParams,
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.url(path, q), {
        ...init,
        headers: {
          ...(init.headers as Record<string, string>),
          authorization: `Bearer ${this.apiKey}`,
        },
      });
    } catch (err) {
      // A query or export, not a sync: its own code, the URL, and what to do.
      throw new WharfError(
        'CLOUD_UNREACHABLE',
        `cannot reach the cloud at ${hideUserinfo(this.baseUrl)} (${(err as { cause?: { code?: string; message?: string } }).cause?.code ?? (err as { cause?: { message?: string } }).cause?.message ?? errorMessage(err)}): start it with 'wharf cloud serve', or point --url (or WHARF_CLOUD_URL) at the running cloud`,
        { cause: err },
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let msg = text.slice(0, 500);
      try {
        msg = (JSON.parse(text) as { error: { message: string } }).error.message;
      } catch {
        // plain text
      }
      const code =
        res.status === 401
          ? 'CLOUD_AUTH'
          : res.status === 403
            ? 'CLOUD_FORBIDDEN'
            : res.status < 500
              ? 'CLOUD_BAD_REQUEST'
              : 'CLOUD_STORE';
      throw new WharfError(code, `cloud answered ${res.status}: ${msg}`);
    }
    return res;
  }

  async readings(
    filter: ReadingFilter,
    opts: { limit: number; order: 'asc' | 'desc'; cursor?: string | null },
  ): Promise<QueryPage> {
    const q = filterToQuery(filter);
    q.set('limit', String(opts.limit));
    q.set('order', opts.order);
    if (opts.cursor) q.set('cursor', opts.cursor);
    return (await (await this.request('api/v1/readings', {}, q)).json()) as QueryPage;
  }

  async sql(
    sql: string,
    limit?: number,
  ): Promise<{
    columns: string[];
    rows: unknown[][];
    truncated: boolean;
    error?: { message: string };
  }> {
    const res = await this.request('api/v1/sql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sql, limit }),
    });
    return (await res.json()) as { columns: string[]; rows: unknown[][]; truncated: boolean };
  }

  /** Streams an export to `outPath` (written to a temp name, renamed when complete). */
  async exportTo(
    outPath: string,
    q: URLSearchParams,
    progress: Progress,
  ): Promise<{ bytes: number; rows: number | null }> {
    const res = await this.request('api/v1/export', {}, q);
    const total = res.headers.get('x-wharf-rows');
    const totalRows = total === null ? null : Number(total);
    const countLines = q.get('format') !== 'parquet';
    const tmp = `${outPath}.part`;
    const out = createWriteStream(tmp);
    // a write error also fails end() below; a write still pending when we give up must not crash
    out.on('error', () => undefined);
    let bytes = 0;
    let lines = 0;
    let tail = Buffer.alloc(0);
    try {
      if (res.body === null) throw new WharfError('CLOUD_STORE', 'the export has no body');
      for await (const chunk of chunksOf(res.body)) {
        bytes += chunk.length;
        if (countLines) tail = Buffer.concat([tail, chunk]).subarray(-4096);
        if (countLines) for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
        if (!out.write(chunk))
          await new Promise<void>((resolve, reject) => {
            const done = (err?: Error): void => {
              out.off('drain', done);
              out.off('error', done);
              if (err) reject(err);
              else resolve();
            };
            out.once('drain', done);
            out.once('error', done);
          });
        const rows = q.get('format') === 'csv' ? Math.max(0, lines - 1) : lines;
        if (countLines && totalRows !== null) progress.update(rows, totalRows, fmtBytes(bytes));
        else progress.update(bytes, null, 'bytes');
      }
      await new Promise<void>((resolve, reject) =>
        out.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
      await rename(tmp, outPath);
    } catch (err) {
      out.destroy();
      await unlink(tmp).catch(() => undefined);
      const why = countLines ? serverReason(tail.toString('utf8')) : null;
      throw new WharfError(
        'CLOUD_STORE',
        `export stopped after ${fmtBytes(bytes)}: ${why ?? errorMessage(err)}; nothing was written to ${outPath}`,
        { cause: err },
      );
    }
    return {
      bytes,
      rows: countLines ? (q.get('format') === 'csv' ? Math.max(0, lines - 1) : lines) : totalRows,
    };
  }
}

/** Bytes read ahead of a slow consumer (a file on a slow disk) before reading pauses. */
const READ_AHEAD_BYTES = 16 * 1024 * 1024;

/**
 * A fetch body's chunks, read as they arrive: a read is always pending (up to READ_AHEAD_BYTES
 * ahead of the consumer), so each chunk is taken from the stream at once. A cut export errors the
 * body stream, and an errored stream drops the chunks it still holds: read lazily, the server's
 * reason in the last line was lost whenever the consumer lagged (a loaded machine). Chunks taken
 * before the error are all yielded, then the error is thrown. Leaving the loop early cancels the
 * download.
 */
export async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  const queue: Uint8Array[] = [];
  const st = { queued: 0, ended: false, failure: null as unknown, failed: false };
  const waiters: { wake: (() => void) | null; resume: (() => void) | null } = {
    wake: null,
    resume: null,
  };
  const wake = (): void => {
    const w = waiters.wake;
    waiters.wake = null;
    w?.();
  };
  const pump = (async () => {
    try {
      for (;;) {
        while (st.queued >= READ_AHEAD_BYTES) await new Promise<void>((r) => (waiters.resume = r));
        const r = await reader.read();
        if (r.done) break;
        queue.push(r.value);
        st.queued += r.value.length;
        wake();
      }
    } catch (err) {
      st.failure = err;
      st.failed = true;
    }
    st.ended = true;
    wake();
  })();
  try {
    for (;;) {
      const c = queue.shift();
      if (c !== undefined) {
        st.queued -= c.length;
        const r = waiters.resume;
        waiters.resume = null;
        r?.();
        yield c;
      } else if (st.ended) {
        if (st.failed) throw st.failure;
        return;
      } else await new Promise<void>((r) => (waiters.wake = r));
    }
  } finally {
    if (!st.ended) {
      await reader.cancel().catch(() => undefined);
      const r = waiters.resume;
      waiters.resume = null;
      r?.();
    }
    await pump;
  }
}

/**
 * The reason the server gave in the last line of a cut CSV (`# error: CODE: message`) or JSONL
 * (`{"error":{code,message}}`) export, or null.
 */
export function serverReason(tail: string): string | null {
  const last = tail.trimEnd().split('\n').pop() ?? '';
  const csv = /^# error: (\S+): (.*)$/.exec(last);
  if (csv !== null) return `${csv[1]}: ${csv[2]}`;
  try {
    const j = JSON.parse(last) as { error?: { code?: unknown; message?: unknown } };
    if (typeof j.error?.code === 'string' && typeof j.error.message === 'string')
      return `${j.error.code}: ${j.error.message}`;
  } catch {
    // not an error line
  }
  return null;
}
