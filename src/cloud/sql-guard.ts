/**
 * First line of the read-only SQL defence (the engines hold the second: a read-only SQLite
 * connection that only runs statements SQLite itself calls read-only, a READ ONLY PostgreSQL
 * transaction). Here: one statement, starting with SELECT / WITH / VALUES / TABLE / EXPLAIN;
 * ATTACH, DETACH, PRAGMA, SET and everything that writes are refused with the reason.
 */
import { WharfError } from '../shared/errors.js';

const ALLOWED = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'EXPLAIN']);

/** Removes comments and string literals (so keywords inside them do not count). */
function strip(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""');
}

export function checkReadOnlySql(sql: string): string {
  const text = sql.trim().replace(/;\s*$/, '');
  if (text.length === 0) throw refused('the statement is empty');
  if (text.length > 100_000) throw refused('the statement is longer than 100,000 characters');
  const bare = strip(text);
  if (bare.includes(';')) throw refused('only one statement is allowed (found a ";" inside)');
  const first = /^\s*\(*\s*([A-Za-z]+)/.exec(bare)?.[1]?.toUpperCase() ?? '';
  if (!ALLOWED.has(first)) {
    throw refused(
      `'${first || bare.trim().slice(0, 20)}' statements are not allowed: SQL here is read-only (SELECT, WITH, VALUES, EXPLAIN)`,
    );
  }
  if (/\b(ATTACH|DETACH|PRAGMA)\b/i.test(bare))
    throw refused('ATTACH, DETACH and PRAGMA are not allowed');
  if (
    /\b(INSERT|UPDATE|DELETE|MERGE|DROP|CREATE|ALTER|TRUNCATE|GRANT|REVOKE|COPY|VACUUM|REINDEX)\b/i.test(
      bare,
    )
  ) {
    throw refused(
      'the statement contains a writing keyword (INSERT, UPDATE, DELETE, DROP, CREATE, ...): SQL here is read-only',
    );
  }
  return text;
}

export function refused(why: string): WharfError {
  return new WharfError('CLOUD_SQL_REFUSED', `SQL refused: ${why}`);
}
