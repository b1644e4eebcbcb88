/**
 * First line of the read-only SQL defence (the engines hold the second: a read-only SQLite
 * connection that only runs statements SQLite itself calls read-only, a READ ONLY PostgreSQL
 * transaction). Here: one statement, starting with SELECT / WITH / VALUES / TABLE / EXPLAIN;
 * ATTACH, DETACH, PRAGMA, SET and everything that writes are refused with the reason.
 *
 * The text is scanned once, left to right, the way the engines read it: string literals ('…',
 * E'…' with backslash escapes), quoted identifiers ("…", `…`, […]) and comments (-- and /* *\/)
 * are skipped as wholes, so `'--'` is a string and `/* ; *\/` a comment, never the other way
 * round. What cannot be read the same way by both engines is refused: an unterminated literal or
 * comment, a PostgreSQL dollar-quoted string. Linear time in the length of the text.
 */
import { WharfError } from '../shared/errors.js';

const ALLOWED = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'EXPLAIN']);
const NOT_ALLOWED = new Set(['ATTACH', 'DETACH', 'PRAGMA']);
const WRITING = new Set([
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'DROP',
  'CREATE',
  'ALTER',
  'TRUNCATE',
  'GRANT',
  'REVOKE',
  'COPY',
  'VACUUM',
  'REINDEX',
]);
export const MAX_SQL_CHARS = 100_000;

const isWordStart = (c: number) =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
const isWordPart = (c: number) => isWordStart(c) || (c >= 48 && c <= 57) || c === 36;

/** The words (upper-cased) and `;` of `sql` outside literals and comments. Throws when unreadable. */
function tokens(sql: string): string[] {
  const out: string[] = [];
  const n = sql.length;
  let i = 0;
  /** Index just after the closing `close` of a quoted run starting after `from`; doubled = escape. */
  const quoted = (from: number, close: string, backslash: boolean, what: string): number => {
    let j = from;
    for (;;) {
      if (j >= n) throw refused(`${what} is never closed`);
      const c = sql[j];
      if (backslash && c === '\\') j += 2;
      else if (c === close) {
        if (sql[j + 1] === close && close !== ']') j += 2;
        else return j + 1;
      } else j++;
    }
  };
  while (i < n) {
    const c = sql.charCodeAt(i);
    const ch = sql[i]!;
    if (ch === "'") {
      i = quoted(i + 1, "'", false, 'a string literal');
      out.push("'");
    } else if (ch === '"' || ch === '`') {
      i = quoted(i + 1, ch, false, 'a quoted identifier');
      out.push('"');
    } else if (ch === '[') {
      i = quoted(i + 1, ']', false, 'a [bracketed] identifier');
      out.push('"');
    } else if (ch === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i + 2);
      i = nl === -1 ? n : nl + 1;
    } else if (ch === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw refused('a /* comment is never closed');
      i = end + 2;
    } else if (ch === '$' && /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.test(sql.slice(i, i + 66))) {
      throw refused("dollar-quoted strings ($$…$$) are not allowed: use '…'");
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql.charCodeAt(j))) j++;
      const word = sql.slice(i, j).toUpperCase();
      if ((word === 'E' || word === 'X' || word === 'B' || word === 'N') && sql[j] === "'") {
        // E'…' (PostgreSQL escapes), X'…' / B'…' / N'…': one literal
        i = quoted(j + 1, "'", word === 'E', 'a string literal');
        out.push("'");
      } else {
        out.push(word);
        i = j;
      }
    } else {
      if (ch === ';') out.push(';');
      else if (ch === '(') out.push('(');
      i++;
    }
  }
  return out;
}

export function checkReadOnlySql(sql: string): string {
  const text = sql.trim().replace(/;\s*$/, '');
  if (text.length === 0) throw refused('the statement is empty');
  if (text.length > MAX_SQL_CHARS) throw refused('the statement is longer than 100,000 characters');
  const words = tokens(text);
  if (words.includes(';')) throw refused('only one statement is allowed (found a ";" inside)');
  const first = words.find((w) => w !== '(') ?? '';
  if (!ALLOWED.has(first)) {
    const shown = /^[A-Z_][A-Z0-9_$]*$/.test(first) ? first : text.trim().slice(0, 20);
    throw refused(
      `'${shown}' statements are not allowed: SQL here is read-only (SELECT, WITH, VALUES, EXPLAIN)`,
    );
  }
  if (words.some((w) => NOT_ALLOWED.has(w)))
    throw refused('ATTACH, DETACH and PRAGMA are not allowed');
  if (words.some((w) => WRITING.has(w))) {
    throw refused(
      'the statement contains a writing keyword (INSERT, UPDATE, DELETE, DROP, CREATE, ...): SQL here is read-only',
    );
  }
  return text;
}

export function refused(why: string): WharfError {
  return new WharfError('CLOUD_SQL_REFUSED', `SQL refused: ${why}`);
}
