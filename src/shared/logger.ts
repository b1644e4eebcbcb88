/**
 * The logger libraries take by injection. pino's Logger satisfies it, so the app passes pino;
 * tests pass `nullLogger` or `memoryLogger()`. Secrets must never be passed to a logger:
 * use `redact()` on anything that may hold one.
 */
export interface LogFn {
  (obj: Record<string, unknown>, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (() => undefined) as LogFn;

export const nullLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => nullLogger,
};

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  obj: Record<string, unknown>;
}

/** A logger that records lines in memory, for tests that assert what was logged. */
export function memoryLogger(
  lines: LogLine[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { lines: LogLine[] } {
  const make = (level: LogLine['level']): LogFn =>
    ((a: Record<string, unknown> | string, b?: string) => {
      if (typeof a === 'string') lines.push({ level, msg: a, obj: { ...bindings } });
      else lines.push({ level, msg: b ?? '', obj: { ...bindings, ...a } });
    }) as LogFn;
  return {
    lines,
    debug: make('debug'),
    info: make('info'),
    warn: make('warn'),
    error: make('error'),
    child: (more) => memoryLogger(lines, { ...bindings, ...more }),
  };
}

const SECRET_KEYS = /secret|password|passwd|api[_-]?key|token|authorization/i;

/** Deep-copies a value with every secret-looking field replaced by "[redacted]". */
export function redact<T>(value: T): T {
  return redactAny(value) as T;
}

function redactAny(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactAny);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redactAny(v);
    }
    return out;
  }
  return value;
}
