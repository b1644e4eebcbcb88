/**
 * Read-only SQL on PostgreSQL: a READ ONLY transaction with a statement_timeout, running as the
 * `wharf_sql_reader` role (SELECT on the readings view only) when it exists; rows stream through
 * a cursor (pg-cursor) in batches.
 */
import pg from 'pg';
import Cursor from 'pg-cursor';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { checkReadOnlySql, refused } from '../sql-guard.js';
import type { SqlOptions, SqlStream } from './contract.js';
import { PG_READER_ROLE } from './postgres-schema.js';

const toNumber = (v: string): number | string => {
  const n = Number(v);
  return Number.isSafeInteger(n) || (Number.isFinite(n) && !/^-?\d+$/.test(v)) ? n : v;
};
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return toNumber;
    return pg.types.getTypeParser(oid, format);
  },
};

function mapError(err: unknown, timeoutMs: number): WharfError {
  const code = (err as { code?: string }).code;
  if (code === '57014')
    return new WharfError(
      'CLOUD_SQL_REFUSED',
      `SQL statement timeout: stopped after ${timeoutMs} ms; narrow the query (time range, LIMIT) or use an export`,
    );
  if (code === '25006') return refused(`${errorMessage(err)} (SQL here is read-only)`);
  if (code === '42501')
    return refused(`${errorMessage(err)} (SQL may only read the readings view)`);
  return new WharfError('CLOUD_BAD_REQUEST', `SQL failed: ${errorMessage(err)}`);
}

export async function openPgSql(
  pool: pg.Pool,
  sql: string,
  opts: SqlOptions,
  asReader: boolean,
): Promise<SqlStream> {
  const text = checkReadOnlySql(sql);
  const client = await pool.connect();
  let closed = false;
  let cursor: Cursor | null = null;
  const finish = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    try {
      if (cursor !== null) await cursor.close();
      await client.query('ROLLBACK');
    } catch {
      // the connection is dropped below anyway
    }
    // never back into the pool: what a statement leaves in its session outlives the ROLLBACK
    // (a session advisory lock such as pg_advisory_lock(7261836) would hold up the schema and
    // partition locks of ingest for as long as the pool kept the connection)
    client.release(true);
  };
  const batchSize = opts.batchSize ?? 500;
  let first: { rows: unknown[][]; fields: string[] };
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(opts.timeoutMs))}`);
    if (asReader) await client.query(`SET LOCAL ROLE ${PG_READER_ROLE}`);
    cursor = client.query(new Cursor(text, [], { rowMode: 'array', types }));
    first = await new Promise((resolve, reject) => {
      cursor!.read(batchSize, (err, rows, result) => {
        if (err) reject(err);
        else
          resolve({ rows: rows as unknown[][], fields: (result?.fields ?? []).map((f) => f.name) });
      });
    });
  } catch (err) {
    await finish();
    throw mapError(err, opts.timeoutMs);
  }
  const cur = cursor;
  async function* batches(): AsyncGenerator<unknown[][]> {
    let sent = 0;
    try {
      let rows = first.rows;
      while (rows.length > 0 && sent < opts.maxRows) {
        const take = rows.slice(0, opts.maxRows - sent);
        sent += take.length;
        yield take;
        if (rows.length < batchSize) break;
        try {
          rows = (await cur.read(batchSize)) as unknown[][];
        } catch (err) {
          throw mapError(err, opts.timeoutMs);
        }
      }
    } finally {
      await finish();
    }
  }
  return { columns: first.fields, batches: batches(), cancel: finish };
}
