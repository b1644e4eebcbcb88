/**
 * The JSONC scanner's view of the text: offsets → line:column, and skipping what is not a value
 * (whitespace, byte-order marks, `//` and `/* *\/` comments).
 */
import { SyntaxFailure } from './jsonc-scan.js';

export interface SourcePos {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

/** Where each line starts, to turn an offset into line:column. */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
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
}

/** The offset of the first character at or after `pos` that is not whitespace or a comment. */
export function skipTrivia(t: string, pos: number): number {
  while (pos < t.length) {
    const c = t.charCodeAt(pos);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) {
      pos++;
    } else if (c === 47 /* / */ && t.charCodeAt(pos + 1) === 47) {
      const nl = t.indexOf('\n', pos + 2);
      pos = nl === -1 ? t.length : nl + 1;
    } else if (c === 47 && t.charCodeAt(pos + 1) === 42 /* * */) {
      const end = t.indexOf('*/', pos + 2);
      if (end === -1) {
        throw new SyntaxFailure(
          'a /* comment is never closed',
          'close the comment with */',
          pos,
          '',
        );
      }
      pos = end + 2;
    } else {
      return pos;
    }
  }
  return pos;
}
