/**
 * A tolerant JSON reader for hand-edited machine configs.
 *
 * - `//` and `/* *\/` comments are skipped.
 * - Duplicate keys: the last one wins, and a warning names the key, its JSON path and line.
 * - Trailing commas (`[1, 2,]`, `{"a": 1,}`) are tolerated with a warning.
 * - A syntax error stops parsing and reports line:column plus a hint.
 *
 * Besides the value it returns where every JSON path starts (line/column), so later stages
 * (schema, resolution) can put a line number on their issues.
 */
import { joinPath } from './path.js';
import { isSecretPath } from '../shared/secrets.js';
import { describe, scanNumber, scanString, SyntaxFailure } from './jsonc-scan.js';

export interface SourcePos {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

export interface JsoncNotice {
  kind: 'duplicate-key' | 'trailing-comma';
  path: string;
  message: string;
  hint: string;
  line: number;
  column: number;
}

export interface JsoncSyntaxError {
  message: string;
  hint: string;
  line: number;
  column: number;
  /** JSON path of the container being read when the error happened ('' = top level). */
  path: string;
}

export type JsoncResult =
  | { ok: true; value: unknown; notices: JsoncNotice[]; positions: Map<string, SourcePos> }
  | {
      ok: false;
      error: JsoncSyntaxError;
      notices: JsoncNotice[];
      positions: Map<string, SourcePos>;
    };

/** Parses JSON with comments, duplicate keys and trailing commas. Never throws. */
export function parseJsonc(text: string): JsoncResult {
  const p = new Parser(text);
  try {
    p.skipTrivia();
    if (p.pos >= text.length) {
      throw new SyntaxFailure(
        'the file is empty',
        'a machine config is a JSON object: start with {"components": [], "services": []}',
        p.pos,
        '',
      );
    }
    const value = p.value('');
    p.skipTrivia();
    if (p.pos < text.length) {
      throw new SyntaxFailure(
        `unexpected ${describe(text, p.pos)} after the end of the top-level value`,
        'the whole file must be one JSON object; remove the extra text or wrap everything in one { }',
        p.pos,
        '',
      );
    }
    return { ok: true, value, notices: p.notices, positions: p.positions() };
  } catch (err) {
    if (!(err instanceof SyntaxFailure)) throw err;
    const { line, column } = p.lineCol(err.offset);
    return {
      ok: false,
      error: { message: err.reason, hint: err.hint, line, column, path: err.path },
      notices: p.notices,
      positions: p.positions(),
    };
  }
}

const MAX_DEPTH = 512;

class Parser {
  pos = 0;
  readonly notices: JsoncNotice[] = [];
  /** Path → where it starts; null = forgotten (the value of a duplicate key that lost). */
  private readonly starts = new Map<string, SourcePos | null>();
  private readonly lineStarts: number[] = [0];
  private depth = 0;

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1; // byte-order mark
  }

  /** Every path recorded, in order: the paths of one value are a contiguous run of it. */
  private readonly recorded: string[] = [];

  /** Where every path that is part of the result starts. */
  positions(): Map<string, SourcePos> {
    const out = new Map<string, SourcePos>();
    for (const [k, v] of this.starts) if (v !== null) out.set(k, v);
    return out;
  }

  private record(path: string, pos: SourcePos): void {
    this.starts.set(path, pos);
    this.recorded.push(path);
  }

  lineCol(offset: number): SourcePos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.lineStarts[lo] ?? 0) + 1 };
  }

  skipTrivia(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) {
        this.pos++;
      } else if (c === 47 /* / */ && t.charCodeAt(this.pos + 1) === 47) {
        const nl = t.indexOf('\n', this.pos + 2);
        this.pos = nl === -1 ? t.length : nl + 1;
      } else if (c === 47 && t.charCodeAt(this.pos + 1) === 42 /* * */) {
        const end = t.indexOf('*/', this.pos + 2);
        if (end === -1) {
          throw new SyntaxFailure(
            'a /* comment is never closed',
            'close the comment with */',
            this.pos,
            '',
          );
        }
        this.pos = end + 2;
      } else {
        return;
      }
    }
  }

  value(path: string): unknown {
    this.skipTrivia();
    const t = this.text;
    const start = this.pos;
    if (this.starts.get(path) == null) this.record(path, this.lineCol(start));
    if (start >= t.length) {
      throw new SyntaxFailure(
        'unexpected end of file where a value was expected',
        'the file is cut short: a value or a closing } or ] is missing',
        start,
        path,
      );
    }
    const c = t[start];
    if (c === '{') return this.object(path);
    if (c === '[') return this.array(path);
    if (c === '"') return this.string(path);
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number(path);
    if (t.startsWith('true', start)) return this.literal(4, true);
    if (t.startsWith('false', start)) return this.literal(5, false);
    if (t.startsWith('null', start)) return this.literal(4, null);
    if (c === "'") {
      throw new SyntaxFailure(
        'single-quoted string',
        'JSON strings use double quotes: "like this"',
        start,
        path,
      );
    }
    if (c === '}' || c === ']') {
      throw new SyntaxFailure(
        `unexpected '${c}' where a value was expected`,
        'a value is missing here (or remove the comma before it)',
        start,
        path,
      );
    }
    const word = /^[A-Za-z_][\w.-]*/.exec(t.slice(start, start + 40))?.[0];
    if (word !== undefined && isSecretPath(path)) {
      throw new SyntaxFailure(
        'unquoted text where a value was expected (value hidden: this is a secret)',
        'strings need double quotes: "…"',
        start,
        path,
      );
    }
    if (word !== undefined) {
      throw new SyntaxFailure(
        `unexpected word '${word}' where a value was expected`,
        `strings need double quotes: "${word}"; literals are true, false and null`,
        start,
        path,
      );
    }
    throw new SyntaxFailure(
      `unexpected ${describe(t, start)} where a value was expected`,
      'expected an object, array, string, number, true, false or null',
      start,
      path,
    );
  }

  private literal(len: number, v: boolean | null): boolean | null {
    this.pos += len;
    return v;
  }

  private enter(path: string): void {
    if (++this.depth > MAX_DEPTH) {
      throw new SyntaxFailure(
        `nesting deeper than ${MAX_DEPTH} levels`,
        'a machine config is never this deep; check for a runaway [ or {',
        this.pos,
        path,
      );
    }
  }

  private object(path: string): Record<string, unknown> {
    this.enter(path);
    const t = this.text;
    const open = this.pos;
    this.pos++; // {
    const out: Record<string, unknown> = {};
    /** Key → its line and the positions recorded while reading its value (to forget on a duplicate). */
    const seen = new Map<string, { line: number; from: number; to: number }>();
    let first = true;
    for (;;) {
      this.skipTrivia();
      if (this.pos >= t.length) {
        const { line } = this.lineCol(open);
        throw new SyntaxFailure(
          `unexpected end of file: the object opened on line ${line} is never closed`,
          'add the missing }',
          this.pos,
          path,
        );
      }
      if (t[this.pos] === '}') {
        this.pos++;
        break;
      }
      if (!first) {
        if (t[this.pos] !== ',') {
          const hint =
            t[this.pos] === ']'
              ? `the object opened on line ${this.lineCol(open).line} is not closed: add } before this ]`
              : 'a comma is probably missing after the previous member';
          throw new SyntaxFailure(
            `expected ',' or '}' but found ${describe(t, this.pos)}`,
            hint,
            this.pos,
            path,
          );
        }
        const commaAt = this.pos;
        this.pos++;
        this.skipTrivia();
        if (t[this.pos] === '}') {
          this.trailingComma(commaAt, path);
          this.pos++;
          break;
        }
      }
      first = false;
      if (this.pos >= t.length) continue;
      const keyAt = this.pos;
      if (t[keyAt] !== '"') {
        const hint =
          t[keyAt] === "'"
            ? 'keys use double quotes: "key"'
            : t[keyAt] === ','
              ? 'remove the extra comma'
              : 'object keys must be double-quoted strings: "key": value';
        throw new SyntaxFailure(
          `expected a "key" but found ${describe(t, keyAt)}`,
          hint,
          keyAt,
          path,
        );
      }
      const key = this.string(path);
      const childPath = joinPath(path, key);
      this.skipTrivia();
      if (t[this.pos] !== ':') {
        throw new SyntaxFailure(
          `expected ':' after key "${key}" but found ${describe(t, this.pos)}`,
          'write "key": value',
          this.pos,
          path,
        );
      }
      this.pos++;
      const keyPos = this.lineCol(keyAt);
      const prev = seen.get(key);
      if (prev !== undefined) {
        this.notices.push({
          kind: 'duplicate-key',
          path: childPath,
          message: `duplicate key "${key}" (also on line ${prev.line}); the last one (line ${keyPos.line}) wins`,
          hint: `remove one of the two "${key}" entries`,
          line: keyPos.line,
          column: keyPos.column,
        });
        // Last wins: forget where the earlier value (and its children) were. Only the paths
        // recorded while reading that value are visited (a scan of every position per duplicate
        // was quadratic: found by fuzzing).
        // (Overwritten with null, not deleted: deleting and re-adding keys of a large Map is slow.)
        for (let i = prev.from; i < prev.to; i++) this.starts.set(this.recorded[i]!, null);
      }
      const from = this.recorded.length;
      this.record(childPath, keyPos);
      const v = this.value(childPath);
      seen.set(key, { line: keyPos.line, from, to: this.recorded.length });
      // defineProperty keeps "__proto__" plain data instead of changing the prototype.
      if (key === '__proto__')
        Object.defineProperty(out, key, {
          value: v,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = v;
    }
    this.depth--;
    return out;
  }

  private array(path: string): unknown[] {
    this.enter(path);
    const t = this.text;
    const open = this.pos;
    this.pos++; // [
    const out: unknown[] = [];
    for (;;) {
      this.skipTrivia();
      if (this.pos >= t.length) {
        const { line } = this.lineCol(open);
        throw new SyntaxFailure(
          `unexpected end of file: the array opened on line ${line} is never closed`,
          'add the missing ]',
          this.pos,
          path,
        );
      }
      if (t[this.pos] === ']') {
        this.pos++;
        break;
      }
      if (out.length > 0) {
        if (t[this.pos] !== ',') {
          const hint =
            t[this.pos] === '}'
              ? `the array opened on line ${this.lineCol(open).line} is not closed: add ] before this }`
              : 'a comma is probably missing after the previous element';
          throw new SyntaxFailure(
            `expected ',' or ']' but found ${describe(t, this.pos)}`,
            hint,
            this.pos,
            path,
          );
        }
        const commaAt = this.pos;
        this.pos++;
        this.skipTrivia();
        if (t[this.pos] === ']') {
          this.trailingComma(commaAt, path);
          this.pos++;
          break;
        }
      }
      out.push(this.value(joinPath(path, out.length)));
    }
    this.depth--;
    return out;
  }

  private trailingComma(at: number, path: string): void {
    const { line, column } = this.lineCol(at);
    this.notices.push({
      kind: 'trailing-comma',
      path,
      message: `trailing comma at line ${line}:${column} (tolerated)`,
      hint: 'strict JSON readers (and Viam) reject it: remove the comma',
      line,
      column,
    });
  }

  private string(path: string): string {
    const r = scanString(this.text, this.pos, path);
    this.pos = r.end;
    return r.value;
  }

  private number(path: string): number {
    const r = scanNumber(this.text, this.pos, path);
    this.pos = r.end;
    return r.value;
  }
}
