/**
 * POST /api/v1/sql {sql, limit?}: one read-only statement over the `readings` view (and the
 * store's tables), streamed as `{"columns":[…],"rows":[[…],…],"truncated":bool}`. Refused
 * statements answer 400 with the reason; the statement timeout and row limit apply (sql-stream.ts).
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { CloudContext } from '../context.js';
import {
  ClientGone,
  drained,
  openBoundedSql,
  pumpRows,
  SQL_DEFAULT_LIMIT,
  sqlLimit,
} from './sql-stream.js';

export async function sqlRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  app.post('/api/v1/sql', async (req, reply) => {
    const body = req.body as { sql?: unknown; limit?: unknown } | null | undefined;
    if (body === null || typeof body !== 'object' || typeof body.sql !== 'string')
      throw new WharfError('CLOUD_BAD_REQUEST', 'send JSON {"sql": "SELECT …", "limit": 1000}');
    const limit = sqlLimit(body.limit, SQL_DEFAULT_LIMIT);
    const opened = await openBoundedSql(ctx, body.sql, limit);
    const out = new PassThrough();
    void (async () => {
      let sent = 0;
      out.write(`{"columns":${JSON.stringify(opened.stream.columns)},"rows":[`);
      let error: string | null = null;
      let truncated = false;
      try {
        ({ truncated } = await pumpRows(opened, out, async (rows) => {
          // one write per batch (not per row): fewer, larger chunks
          let chunk = '';
          for (const row of rows) chunk += `${sent++ === 0 ? '' : ','}${JSON.stringify(row)}`;
          if (!out.write(chunk)) await drained(out);
        }));
      } catch (err) {
        if (err instanceof ClientGone) return;
        error = errorMessage(err);
      }
      if (out.destroyed) return;
      out.end(
        `],"truncated":${truncated}${error === null ? '' : `,"error":${JSON.stringify({ code: 'CLOUD_SQL_FAILED', message: error })}`}}`,
      );
    })();
    return reply.header('content-type', 'application/json; charset=utf-8').send(out);
  });
}
