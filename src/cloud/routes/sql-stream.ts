/**
 * The one way a route runs user SQL (POST /api/v1/sql, GET /api/v1/export?sql=): the read-only
 * guard (in the store's openSql), a row limit, the statement timeout (the store enforces it on the
 * statement: SQLite kills its child process, PostgreSQL has statement_timeout; here a deadline
 * bounds the whole answer, sending included), back-pressure (the next batch is read only after the
 * client took the previous one) and cancel-on-disconnect (a client that leaves stops the statement).
 */
import type { Writable } from 'node:stream';
import { WharfError, isWharfError } from '../../shared/errors.js';
import type { CloudContext } from '../context.js';
import type { SqlStream } from '../store/contract.js';

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

export interface OpenedSql {
  stream: SqlStream;
  it: AsyncIterator<unknown[][]>;
  /** The first batch (done when the statement returned no rows). */
  first: IteratorResult<unknown[][]>;
  limit: number;
  timeoutMs: number;
}

/**
 * Opens the statement and reads its first batch, so a statement that is refused, fails or times
 * out before its first row answers with an error status instead of a broken download.
 */
export async function openBoundedSql(
  ctx: CloudContext,
  sql: unknown,
  limit: number,
): Promise<OpenedSql> {
  if (typeof sql !== 'string')
    throw new WharfError('CLOUD_BAD_REQUEST', 'the SQL statement is missing or not text');
  let release: () => void;
  try {
    release = ctx.sqlSlots.take();
  } catch (err) {
    ctx.metrics.sqlStatements.inc({ outcome: 'busy' });
    throw err;
  }
  let stream: SqlStream | undefined;
  try {
    const opened = await ctx.store.openSql(sql, {
      timeoutMs: ctx.sqlTimeoutMs,
      maxRows: limit + 1,
    });
    // the slot is free again once the statement is stopped, however that happens
    stream = {
      ...opened,
      cancel: async () => {
        try {
          await opened.cancel();
        } finally {
          release();
        }
      },
    };
    const it = stream.batches[Symbol.asyncIterator]();
    const first = await it.next();
    ctx.metrics.sqlStatements.inc({ outcome: 'ok' });
    return { stream, it, first, limit, timeoutMs: ctx.sqlTimeoutMs };
  } catch (err) {
    if (stream === undefined) release();
    else await stream.cancel();
    ctx.metrics.sqlStatements.inc({
      outcome: isWharfError(err, 'CLOUD_SQL_REFUSED') ? 'refused' : 'error',
    });
    throw err;
  }
}

export const timeoutError = (ms: number): WharfError =>
  new WharfError(
    'CLOUD_SQL_REFUSED',
    `SQL statement timeout: stopped after ${ms} ms; narrow the query (time range, LIMIT) or use a filtered export`,
  );

export class ClientGone extends Error {
  constructor() {
    super('the client went away');
  }
}

/**
 * Hands the rows to `write` batch by batch, at most `limit` of them, until the statement ends, the
 * deadline passes (throws the timeout error), or `out` closes (throws ClientGone). The statement
 * is always stopped before this returns. `truncated`: there were more rows than the limit.
 */
export async function pumpRows(
  s: OpenedSql,
  out: Writable,
  write: (rows: unknown[][]) => Promise<void>,
): Promise<{ rows: number; truncated: boolean }> {
  // One waiter at a time, removed once its step settles: racing every step against one long-lived
  // promise would keep every batch reachable from it until the end.
  let stopped: Error | null = null;
  let waiter: ((err: Error) => void) | null = null;
  const stop = (err: Error): void => {
    stopped ??= err;
    waiter?.(stopped);
  };
  const step = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (stopped !== null) return reject(stopped);
      waiter = reject;
      p.then(
        (v) => ((waiter = null), resolve(v)),
        (e: unknown) => ((waiter = null), reject(e)),
      );
    });
  const timer = setTimeout(() => stop(timeoutError(s.timeoutMs)), s.timeoutMs);
  const onClose = (): void => stop(new ClientGone());
  if (out.destroyed) onClose();
  else out.once('close', onClose);
  let sent = 0;
  let truncated = false;
  try {
    let batch = s.first;
    while (batch.done !== true) {
      let rows = batch.value;
      if (sent + rows.length > s.limit) {
        rows = rows.slice(0, s.limit - sent);
        truncated = true;
      }
      if (rows.length > 0) await step(write(rows));
      sent += rows.length;
      if (truncated) break;
      batch = await step(s.it.next());
    }
    return { rows: sent, truncated };
  } finally {
    clearTimeout(timer);
    out.off('close', onClose);
    await s.stream.cancel();
  }
}

/** Resolves when `out` can take more (or has closed). */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
  });
}
