/**
 * GET /api/v1/export?format=csv|jsonl|parquet&<filters> — or &sql=<read-only query>[&limit=N] —
 * streamed as a download in constant memory. `x-wharf-rows` carries the row count of a filtered
 * export (for progress bars). A SQL export runs under the same guard, statement timeout,
 * back-pressure and cancel-on-disconnect as POST /api/v1/sql (sql-stream.ts), with at most
 * `limit` rows (default and maximum 1,000,000); more rows, a timeout or a failure after the
 * download started end it with a last error line (CSV, JSONL) and a cut connection.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WharfError, errorMessage, isWharfError } from '../../shared/errors.js';
import {
  CONTENT_TYPES,
  inferColumns,
  openSink,
  parseFormat,
  READING_COLUMNS,
  type RowSink,
} from '../export/sinks.js';
import { parseFilter } from '../filters.js';
import type { CloudContext } from '../context.js';
import { ClientGone, openBoundedSql, pumpRows, SQL_MAX_LIMIT, sqlLimit } from './sql-stream.js';
import type { StoredRow } from '../store/contract.js';

export function readingCells(r: StoredRow): unknown[] {
  return [
    r.id,
    r.kind,
    r.part_id,
    r.machine,
    r.component_type,
    r.component_name,
    r.method_name,
    r.time_requested,
    r.time_received,
    JSON.stringify(r.tags),
    JSON.stringify(r.additional_parameters),
    JSON.stringify(r.data),
  ];
}

/**
 * Ends a download that failed after it started: the reason as a last line (text formats), then the
 * connection is closed without the final chunk, so curl, fetch and `wharf cloud export` all see
 * an incomplete transfer instead of a short file that looks whole.
 */
async function cutDownload(
  out: PassThrough,
  reply: FastifyReply,
  sink: RowSink,
  err: unknown,
): Promise<void> {
  if (!out.destroyed && !(err instanceof ClientGone)) {
    const code = isWharfError(err) ? err.code : 'CLOUD_EXPORT_FAILED';
    // bounded: a client that does not read cannot hold this (the statement is stopped already)
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      sink.fail(code, errorMessage(err)).catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, 2000))),
    ]);
    clearTimeout(timer);
    // let what is written reach the socket (bounded: a client that does not read loses it)
    for (let i = 0; i < 200 && out.readableLength > 0 && !out.destroyed; i++)
      await new Promise((r) => setTimeout(r, 10));
  }
  const socket = reply.raw.socket;
  if (socket !== null && !socket.destroyed) socket.destroySoon();
  out.destroy();
}

/**
 * A download whose client takes nothing for this long is cut (never shorter than the SQL timeout,
 * so a slow statement between two batches is not taken for a stalled client): without it a client
 * that stops reading holds its export, a page of rows and its buffers, for ever.
 */
export const EXPORT_IDLE_MS = 60_000;

function cutWhenStalled(reply: FastifyReply, ms: number): void {
  const socket = reply.raw.socket;
  // (a request injected in-process, fastify's inject, has no real socket)
  if (socket === null || typeof socket.setTimeout !== 'function') return;
  socket.setTimeout(ms);
  socket.once('timeout', () => socket.destroy());
}

export async function exportRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  const idleMs = Math.max(ctx.exportIdleMs, ctx.sqlTimeoutMs);
  app.get('/api/v1/export', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const format = parseFormat(q.format ?? 'csv');
    const sql = q.sql;
    const opened =
      sql !== undefined && sql !== ''
        ? await openBoundedSql(ctx, sql, sqlLimit(q.limit, SQL_MAX_LIMIT))
        : null;
    const filter = opened === null ? parseFilter(q) : null;
    const out = new PassThrough();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    reply
      .header('content-type', CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="wharf-export-${stamp}.${format}"`)
      .header('cache-control', 'no-store');
    ctx.metrics.exports.inc({ format });
    const fail = async (sink: RowSink, err: unknown): Promise<void> => {
      if (!(err instanceof ClientGone))
        ctx.logger.warn({ err: errorMessage(err) }, 'export stopped');
      await cutDownload(out, reply, sink, err);
    };
    if (opened !== null) {
      let sink: RowSink;
      try {
        sink = await openSink(
          format,
          out,
          inferColumns(opened.stream.columns, opened.first.done === true ? [] : opened.first.value),
        );
      } catch (err) {
        await opened.stream.cancel();
        throw err;
      }
      void (async () => {
        try {
          const { truncated } = await pumpRows(opened, out, async (rows) => {
            for (const row of rows) await sink.write(row);
          });
          if (truncated)
            throw new WharfError(
              'CLOUD_SQL_LIMIT',
              `the result has more than ${opened.limit} rows (limit=${opened.limit}, at most ${SQL_MAX_LIMIT}): the export stopped there; narrow the query or use a filtered export, which has no row limit`,
            );
          await sink.end();
        } catch (err) {
          await fail(sink, err);
        }
      })();
      cutWhenStalled(reply, idleMs);
      return reply.send(out);
    }
    // a filtered export has no row limit: how many run at once is bounded instead
    const release = ctx.exportSlots.take();
    let sink: RowSink;
    try {
      reply.header('x-wharf-rows', String(await ctx.store.count(filter!)));
      sink = await openSink(format, out, READING_COLUMNS);
    } catch (err) {
      release();
      throw err;
    }
    void (async () => {
      try {
        let cursor: string | null = null;
        do {
          const page = await ctx.store.query(filter!, { limit: 5000, order: 'asc', cursor });
          for (const r of page.rows) await sink.write(readingCells(r));
          cursor = page.next_cursor;
        } while (cursor !== null && !out.destroyed);
        if (out.destroyed) throw new ClientGone();
        await sink.end();
      } catch (err) {
        await fail(sink, err);
      } finally {
        release();
      }
    })();
    cutWhenStalled(reply, idleMs);
    return reply.send(out);
  });
}
