/**
 * GET /api/v1/export?format=csv|jsonl|parquet&<filters> — or &sql=<read-only query> — streamed as
 * a download in constant memory. `x-wharf-rows` carries the row count of a filtered export (for
 * progress bars).
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { errorMessage } from '../../shared/errors.js';
import {
  CONTENT_TYPES,
  inferColumns,
  openSink,
  parseFormat,
  READING_COLUMNS,
} from '../export/sinks.js';
import { parseFilter } from '../filters.js';
import type { CloudContext } from '../context.js';
import { firstBatch } from './sql-stream.js';
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

export async function exportRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  app.get('/api/v1/export', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const format = parseFormat(q.format ?? 'csv');
    const out = new PassThrough();
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    reply
      .header('content-type', CONTENT_TYPES[format])
      .header('content-disposition', `attachment; filename="wharf-export-${stamp}.${format}"`)
      .header('cache-control', 'no-store');
    ctx.metrics.exports.inc({ format });
    const fail = (err: unknown): void => {
      ctx.logger.warn({ err: errorMessage(err) }, 'export stopped');
      out.destroy(err instanceof Error ? err : new Error(errorMessage(err)));
    };
    if (typeof q.sql === 'string' && q.sql !== '') {
      const stream = await ctx.store.openSql(q.sql, {
        timeoutMs: Math.max(ctx.sqlTimeoutMs, 600_000),
        maxRows: Number.MAX_SAFE_INTEGER,
      });
      const { it, first } = await firstBatch(stream);
      const sink = await openSink(
        format,
        out,
        inferColumns(stream.columns, first.done === true ? [] : first.value),
      );
      void (async () => {
        try {
          let batch = first;
          while (batch.done !== true) {
            for (const row of batch.value) await sink.write(row);
            batch = await it.next();
          }
          await sink.end();
        } catch (err) {
          fail(err);
        } finally {
          await stream.cancel();
        }
      })();
      return reply.send(out);
    }
    const filter = parseFilter(q);
    reply.header('x-wharf-rows', String(await ctx.store.count(filter)));
    const sink = await openSink(format, out, READING_COLUMNS);
    void (async () => {
      try {
        let cursor: string | null = null;
        do {
          const page = await ctx.store.query(filter, { limit: 5000, order: 'asc', cursor });
          for (const r of page.rows) await sink.write(readingCells(r));
          cursor = page.next_cursor;
        } while (cursor !== null);
        await sink.end();
      } catch (err) {
        fail(err);
      }
    })();
    return reply.send(out);
  });
}
