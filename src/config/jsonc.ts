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
import { describe, SyntaxFailure } from './jsonc-scan.js';
import type { SourcePos } from './jsonc-text.js';
import type { JsoncNotice } from './jsonc-notices.js';
import { Parser } from './jsonc-parser.js';

export type { SourcePos } from './jsonc-text.js';
export type { JsoncNotice } from './jsonc-notices.js';

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
    return { ok: true, value, notices: p.notices, positions: p.log.positions() };
  } catch (err) {
    if (!(err instanceof SyntaxFailure)) throw err;
    const { line, column } = p.lineCol(err.offset);
    return {
      ok: false,
      error: { message: err.reason, hint: err.hint, line, column, path: err.path },
      notices: p.notices,
      positions: p.log.positions(),
    };
  }
}
