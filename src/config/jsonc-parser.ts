/**
 * The JSONC parser proper: a recursive descent over objects, arrays and literals that records
 * where every path starts and collects notices (duplicate keys, trailing commas). Throws
 * SyntaxFailure; parseJsonc (jsonc.ts) turns that into a result.
 */
import { joinPath } from './path.js';
import { isSecretPath } from '../shared/secrets.js';
import { describe, scanNumber, scanString, SyntaxFailure } from './jsonc-scan.js';
import { LineIndex, skipTrivia, type SourcePos } from './jsonc-text.js';
import { PositionLog } from './jsonc-positions.js';
import { duplicateKeyNotice, trailingCommaNotice, type JsoncNotice } from './jsonc-notices.js';

const MAX_DEPTH = 512;

export class Parser {
  pos = 0;
  readonly notices: JsoncNotice[] = [];
  readonly log = new PositionLog();
  private readonly lines: LineIndex;
  private depth = 0;

  constructor(private readonly text: string) {
    this.lines = new LineIndex(text);
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1; // byte-order mark
  }

  lineCol(offset: number): SourcePos {
    return this.lines.lineCol(offset);
  }

  skipTrivia(): void {
    this.pos = skipTrivia(this.text, this.pos);
  }

  value(path: string): unknown {
    this.skipTrivia();
    const t = this.text;
    const start = this.pos;
    if (!this.log.has(path)) this.log.record(path, this.lineCol(start));
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
      if (this.nextItem('object', open, first, path)) break;
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
        this.notices.push(duplicateKeyNotice(key, childPath, prev.line, keyPos));
        // Last wins: forget where the earlier value (and its children) were.
        this.log.forget(prev.from, prev.to);
      }
      const from = this.log.mark;
      this.log.record(childPath, keyPos);
      const v = this.value(childPath);
      seen.set(key, { line: keyPos.line, from, to: this.log.mark });
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
    const open = this.pos;
    this.pos++; // [
    const out: unknown[] = [];
    for (;;) {
      if (this.nextItem('array', open, out.length === 0, path)) break;
      out.push(this.value(joinPath(path, out.length)));
    }
    this.depth--;
    return out;
  }

  /**
   * Before the next member of an object or element of an array: at its closing bracket (also after
   * a trailing comma, which is reported) returns true, past the bracket; else false, past the comma
   * (none before the first). A missing comma, the other kind of bracket and the end of the file
   * fail, naming the line the object or array opened on.
   */
  private nextItem(kind: 'object' | 'array', open: number, first: boolean, path: string): boolean {
    const t = this.text;
    const [close, other, item] = kind === 'object' ? ['}', ']', 'member'] : [']', '}', 'element'];
    this.skipTrivia();
    if (this.pos >= t.length) {
      const { line } = this.lineCol(open);
      throw new SyntaxFailure(
        `unexpected end of file: the ${kind} opened on line ${line} is never closed`,
        `add the missing ${close}`,
        this.pos,
        path,
      );
    }
    if (t[this.pos] === close) {
      this.pos++;
      return true;
    }
    if (first) return false;
    if (t[this.pos] !== ',') {
      const hint =
        t[this.pos] === other
          ? `the ${kind} opened on line ${this.lineCol(open).line} is not closed: add ${close} before this ${other}`
          : `a comma is probably missing after the previous ${item}`;
      throw new SyntaxFailure(
        `expected ',' or '${close}' but found ${describe(t, this.pos)}`,
        hint,
        this.pos,
        path,
      );
    }
    const commaAt = this.pos;
    this.pos++;
    this.skipTrivia();
    if (t[this.pos] !== close) return false;
    this.trailingComma(commaAt, path);
    this.pos++;
    return true;
  }

  private trailingComma(at: number, path: string): void {
    this.notices.push(trailingCommaNotice(path, this.lineCol(at)));
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
