/** Lexing pieces of the JSONC reader: strings, numbers, and the error it throws. */

import { isSecretPath } from '../shared/secrets.js';

/** A syntax error at `offset`; parseJsonc turns it into line:column. */
export class SyntaxFailure extends Error {
  constructor(
    readonly reason: string,
    readonly hint: string,
    readonly offset: number,
    readonly path: string,
  ) {
    super(reason);
  }
}

/** The character at `offset`, for messages: `'x'`, `line break` or `end of file`. */
export function describe(text: string, offset: number): string {
  if (offset >= text.length) return 'end of file';
  const ch = text[offset] ?? '';
  return ch === '\n' || ch === '\r' ? 'line break' : `'${ch}'`;
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export function scanString(t: string, start: number, path: string): { value: string; end: number } {
  let pos = start + 1; // after the opening quote
  let out = '';
  let chunk = pos;
  for (;;) {
    if (pos >= t.length) {
      throw new SyntaxFailure(
        'a string is never closed',
        'add the closing double quote',
        start,
        path,
      );
    }
    const c = t.charCodeAt(pos);
    if (c === 34 /* " */) {
      out += t.slice(chunk, pos);
      return { value: out, end: pos + 1 };
    }
    if (c === 92 /* \ */) {
      out += t.slice(chunk, pos);
      const e = t[pos + 1];
      if (e !== undefined && ESCAPES[e] !== undefined) {
        out += ESCAPES[e];
        pos += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(pos + 2, pos + 6))) {
        out += String.fromCharCode(parseInt(t.slice(pos + 2, pos + 6), 16));
        pos += 6;
      } else {
        throw new SyntaxFailure(
          `invalid escape '\\${e ?? ''}' in a string`,
          'valid escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX; write a backslash as \\\\',
          pos,
          path,
        );
      }
      chunk = pos;
      continue;
    }
    if (c < 0x20) {
      const hint =
        c === 10 || c === 13
          ? 'a string cannot span lines: close it with " or write \\n'
          : 'write control characters as escapes (\\t, \\u0001)';
      throw new SyntaxFailure('control character inside a string', hint, pos, path);
    }
    pos++;
  }
}

export function scanNumber(t: string, pos: number, path: string): { value: number; end: number } {
  const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(t.slice(pos, pos + 400));
  if (m === null) {
    throw new SyntaxFailure(
      `invalid number starting with ${describe(t, pos)}`,
      'numbers look like 10, 0.5, -3 or 1e6',
      pos,
      path,
    );
  }
  const next = t[pos + m[0].length];
  const hidden = isSecretPath(path);
  if (next !== undefined && /[\w.]/.test(next)) {
    throw new SyntaxFailure(
      hidden
        ? 'invalid number (value hidden: this is a secret)'
        : `invalid number '${t.slice(pos, pos + m[0].length + 1)}…'`,
      'numbers look like 10, 0.5, -3 or 1e6 (no leading zeros, no hex, no units); quote it if it is a name',
      pos,
      path,
    );
  }
  const v = Number(m[0]);
  if (!Number.isFinite(v)) {
    throw new SyntaxFailure(
      hidden
        ? 'number out of range (value hidden: this is a secret)'
        : `number ${m[0]} is out of range`,
      'use a smaller number',
      pos,
      path,
    );
  }
  return { value: v, end: pos + m[0].length };
}
