/**
 * SQL guard (src/cloud/sql-guard.ts): any text is accepted or refused with CLOUD_SQL_REFUSED,
 * never anything else, within the time bound (long inputs included). An accepted statement is one
 * statement that a reference lexer (strings, quoted identifiers, -- and block comments scanned in
 * order) sees starting with SELECT/WITH/VALUES/TABLE/EXPLAIN and holding no writing or
 * ATTACH/DETACH/PRAGMA keyword; plain read-only queries are accepted.
 */
import fc from 'fast-check';
import { checkReadOnlySql } from '../../src/cloud/sql-guard.js';
import {
  expectOnlyCoded,
  fail,
  mutated,
  repeated,
  utf8,
  type FuzzTarget,
  HEAVY,
  NORMAL,
} from '../core.js';

const ALLOWED = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'EXPLAIN']);
const FORBIDDEN =
  /^(ATTACH|DETACH|PRAGMA|INSERT|UPDATE|DELETE|MERGE|DROP|CREATE|ALTER|TRUNCATE|GRANT|REVOKE|COPY|VACUUM|REINDEX)$/i;

/**
 * Words and `;` outside literals and comments, scanned left to right as SQLite and PostgreSQL do:
 * '…' (with '' escapes), E'…' (backslash escapes), "…", `…`, […], -- and block comments.
 */
export function lex(sql: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = sql.length;
  const skipQuoted = (from: number, close: string, backslash: boolean): number => {
    let j = from;
    while (j < n) {
      if (backslash && sql[j] === '\\') j += 2;
      else if (sql[j] === close) {
        if (close !== ']' && sql[j + 1] === close) j += 2;
        else return j + 1;
      } else j++;
    }
    return n;
  };
  while (i < n) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`' || c === '[') {
      i = skipQuoted(i + 1, c === '[' ? ']' : c, false);
      out.push('LIT');
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      let j = i + 1;
      while (j < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[j]!)) j++;
      const w = sql.slice(i, j).toUpperCase();
      if (/^[EXBN]$/.test(w) && sql[j] === "'") {
        i = skipQuoted(j + 1, "'", w === 'E');
        out.push('LIT');
      } else {
        out.push(w);
        i = j;
      }
    } else {
      if (c === ';') out.push(';');
      i++;
    }
  }
  return out;
}

const VOCAB = [
  'SELECT',
  'select',
  'WITH',
  'RECURSIVE',
  'VALUES',
  'EXPLAIN',
  'TABLE',
  'FROM',
  'readings',
  'WHERE',
  'x',
  'INSERT',
  'INTO',
  'DELETE',
  'DROP',
  'UPDATE',
  'PRAGMA',
  'ATTACH',
  'CREATE',
  'SET',
  'INSERT_X',
  'dropped',
  ';',
  '--',
  '\n',
  '/*',
  '*/',
  "'",
  "''",
  '"',
  '(',
  ')',
  ',',
  '*',
  '=',
  '1',
  ' ',
  '\t',
  '$1',
  "e'x'",
  'E',
  '\\',
  '`',
  '[',
  ']',
  '$$',
  '$a$',
  'X',
  'N',
];

const tokens = fc.array(fc.constantFrom(...VOCAB), { maxLength: 24 }).map((ts) => ts.join(' '));
const tokensTight = fc.array(fc.constantFrom(...VOCAB), { maxLength: 24 }).map((ts) => ts.join(''));
const plainSelect = fc
  .tuple(
    fc.constantFrom(
      'SELECT',
      'select',
      'WITH t AS (SELECT 1) SELECT',
      '(SELECT',
      'VALUES (1),',
      'EXPLAIN SELECT',
    ),
    fc.constantFrom("'a;b'", '"col"', "'--'", "'/*'", '1', 'x', "'it''s'"),
    fc.constantFrom('', ' FROM readings', ' -- note; DROP', ' /* ; DELETE */'),
  )
  .map(([a, b, c]) => ({ sql: `${a} ${b}${c}`, plain: true }));

export interface SqlInput {
  sql: string;
  /** A read-only statement the guard must accept. */
  plain?: boolean;
}

export const sql: FuzzTarget<SqlInput> = {
  name: 'sql-guard',
  about:
    'checkReadOnlySql on any text: refused with CLOUD_SQL_REFUSED or truly one read-only statement',
  arbitrary: (corpus) =>
    fc.oneof(
      { weight: 3 * NORMAL, arbitrary: tokens.map((s) => ({ sql: s })) },
      { weight: 2 * NORMAL, arbitrary: tokensTight.map((s) => ({ sql: s })) },
      { weight: 1 * NORMAL, arbitrary: plainSelect },
      { weight: 2 * NORMAL, arbitrary: mutated(corpus).map((b) => ({ sql: utf8(b) })) },
      { weight: 1 * NORMAL, arbitrary: fc.string({ maxLength: 60 }).map((s) => ({ sql: s })) },
      {
        weight: HEAVY,
        arbitrary: repeated(["'", '"', '/*', '--', "''", 'a;', '(', '/**/']).map((s) => ({
          sql: `SELECT ${s}`,
        })),
      },
    ),
  fromBytes: (b) => ({ sql: utf8(b) }),
  check(inp) {
    const got = expectOnlyCoded(['CLOUD_SQL_REFUSED'], () => checkReadOnlySql(inp.sql));
    if (got === undefined) {
      if (inp.plain === true) fail(`a plain read-only query was refused: ${inp.sql}`);
      return;
    }
    const words = lex(got);
    const first = words.find((w) => w !== '(');
    if (first === undefined || !ALLOWED.has(first))
      fail(`accepted a statement starting with ${first}: ${got.slice(0, 200)}`);
    if (words.includes(';')) fail(`accepted two statements: ${got.slice(0, 200)}`);
    const bad = words.find((w) => FORBIDDEN.test(w));
    if (bad !== undefined) fail(`accepted a statement with ${bad}: ${got.slice(0, 200)}`);
  },
};
