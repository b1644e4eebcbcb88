/**
 * POST /api/v1/sql {sql, limit?}: one read-only statement over the `readings` view (and the
 * store's tables), streamed as `{"columns":[…],"rows":[[…],…],"truncated":bool}`. Refused
 * statements answer 400 with the reason; the statement timeout applies.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { WharfError, errorMessage, isWharfError } from '../../shared/errors.js';
import type { CloudContext } from '../context.js';
import { firstBatch } from './sql-stream.js';

export const SQL_DEFAULT_LIMIT = 10_000;
export const SQL_MAX_LIMIT = 1_000_000;

export function sqlLimit(v: unknown, dflt: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > SQL_MAX_LIMIT)
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `limit must be an integer from 1 to ${SQL_MAX_LIMIT}`,
    );
  return n;
}

export async function sqlRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  app.post('/api/v1/sql', async (req, reply) => {
    const body = (req.body ?? {}) as { sql?: unknown; limit?: unknown };
    if (typeof body.sql !== 'string')
      throw new WharfError('CLOUD_BAD_REQUEST', 'send JSON {"sql": "SELECT …", "limit": 1000}');
    const limit = sqlLimit(body.limit, SQL_DEFAULT_LIMIT);
    let stream;
    let started;
    try {
      stream = await ctx.store.openSql(body.sql, {
        timeoutMs: ctx.sqlTimeoutMs,
        maxRows: limit + 1,
      });
      started = await firstBatch(stream);
    } catch (err) {
      ctx.metrics.sqlStatements.inc({
        outcome: isWharfError(err, 'CLOUD_SQL_REFUSED') ? 'refused' : 'error',
      });
      throw err;
    }
    const { it, first } = started;
    ctx.metrics.sqlStatements.inc({ outcome: 'ok' });
    const out = new PassThrough();
    void (async () => {
      let sent = 0;
      let truncated = false;
      // a client that goes away destroys `out`: stop waiting for 'drain' then
      const drained = (): Promise<void> =>
        new Promise((resolve) => {
          const done = (): void => {
            out.off('drain', done);
            out.off('close', done);
            resolve();
          };
          out.once('drain', done);
          out.once('close', done);
        });
      const send = async (rows: unknown[][]): Promise<void> => {
        for (const row of rows) {
          if (sent >= limit) {
            truncated = true;
            return;
          }
          if (out.destroyed) throw new Error('the client went away');
          const chunk = `${sent === 0 ? '' : ','}${JSON.stringify(row)}`;
          sent++;
          if (!out.write(chunk)) await drained();
        }
      };
      out.write(`{"columns":${JSON.stringify(stream.columns)},"rows":[`);
      let error: string | null = null;
      try {
        if (first.done !== true) await send(first.value);
        while (!truncated) {
          const n = await it.next();
          if (n.done === true) break;
          await send(n.value);
        }
      } catch (err) {
        error = errorMessage(err);
      } finally {
        await stream.cancel();
      }
      if (out.destroyed) return;
      out.end(
        `],"truncated":${truncated}${error === null ? '' : `,"error":${JSON.stringify({ code: 'CLOUD_SQL_FAILED', message: error })}`}}`,
      );
    })();
    return reply.header('content-type', 'application/json; charset=utf-8').send(out);
  });
}
