/** What the JSONC reader tolerates but tells about: duplicate keys and trailing commas. */
import type { SourcePos } from './jsonc-text.js';

export interface JsoncNotice {
  kind: 'duplicate-key' | 'trailing-comma';
  path: string;
  message: string;
  hint: string;
  line: number;
  column: number;
}

/** Key `key` (at `path`, `at`) repeats the one on line `prevLine`: the last one wins. */
export function duplicateKeyNotice(
  key: string,
  path: string,
  prevLine: number,
  at: SourcePos,
): JsoncNotice {
  return {
    kind: 'duplicate-key',
    path,
    message: `duplicate key "${key}" (also on line ${prevLine}); the last one (line ${at.line}) wins`,
    hint: `remove one of the two "${key}" entries`,
    line: at.line,
    column: at.column,
  };
}

/** A comma before the closing } or ] of the container at `path`. */
export function trailingCommaNotice(path: string, at: SourcePos): JsoncNotice {
  const { line, column } = at;
  return {
    kind: 'trailing-comma',
    path,
    message: `trailing comma at line ${line}:${column} (tolerated)`,
    hint: 'strict JSON readers (and Viam) reject it: remove the comma',
    line,
    column,
  };
}
