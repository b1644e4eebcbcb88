/**
 * The small schema builder config/schema.ts is written in: the subset of zod 4's API wharf's config
 * uses (`z.looseObject`, `z.string().min(1).optional()`, `z.number().int().positive()`, arrays,
 * records, unions …), with zod 4's semantics and issue shapes (code, path, expected, origin,
 * minimum/maximum, inclusive), so schema.ts reads as before and its messages are unchanged.
 *
 * Why not zod itself: every zod 4 entry point loads its ~50 message locales and the whole core
 * (~1 MB of source kept in the heap); in the gateway, which validates one config at start and on
 * reloads, that was ~5 MB of its resident memory (docs/benchmarks.md, "gateway memory").
 *
 * Semantics kept from zod 4: a type mismatch aborts (an object option of a union whose field has
 * the wrong type is not a match); a failed check (int, min, max) does not, and every check runs;
 * a union with no passing option reports the issues of its only non-aborted option, else
 * `invalid_union`; loose objects keep unknown keys (output: the shape's keys that are present, then
 * the rest); absent optional keys stay absent; numbers must be finite.
 */

export interface Issue {
  code: 'invalid_type' | 'too_small' | 'too_big' | 'invalid_union' | 'invalid_value';
  path: PropertyKey[];
  message: string;
  expected?: string;
  origin?: 'number' | 'int' | 'string' | 'array';
  minimum?: number;
  maximum?: number;
  inclusive?: boolean;
  /** A failed check on a value of the right type (zod's `continue`): does not abort a union option. */
  continue?: boolean;
}

type Result<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

export abstract class Schema<T> {
  /** Type-only: the parsed value's type (`Infer<typeof s>`). */
  declare readonly _out: T;
  /** Validates `v`; `path` is where `v` sits, prepended to every issue. Pushes issues, returns the value. */
  abstract run(v: unknown, path: PropertyKey[], issues: Issue[]): T;
  /** Missing (undefined) allowed. */
  optin = false;

  safeParse(
    v: unknown,
  ): { success: true; data: T } | { success: false; error: { issues: Issue[] } } {
    const r = parse(this, v);
    return r.ok
      ? { success: true, data: r.value }
      : { success: false, error: { issues: r.issues } };
  }
  optional(): Schema<T | undefined> {
    return new Wrap<T | undefined>(this, false);
  }
  nullish(): Schema<T | null | undefined> {
    return new Wrap<T | null | undefined>(this, true);
  }
}

export type Infer<S extends Schema<unknown>> = S['_out'];

function parse<T>(s: Schema<T>, v: unknown): Result<T> {
  const issues: Issue[] = [];
  const value = s.run(v, [], issues);
  return issues.length === 0 ? { ok: true, value } : { ok: false, issues };
}

function typeIssue(expected: string, path: PropertyKey[], v: unknown): Issue {
  const received = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  return {
    code: 'invalid_type',
    expected,
    path,
    message: `Invalid input: expected ${expected}, received ${received}`,
  };
}

class Wrap<T> extends Schema<T> {
  constructor(
    private readonly inner: Schema<unknown>,
    private readonly orNull: boolean,
  ) {
    super();
    this.optin = true;
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): T {
    if (v === undefined || (this.orNull && v === null)) return v as T;
    return this.inner.run(v, path, issues) as T;
  }
}

class Unknown extends Schema<unknown> {
  constructor() {
    super();
    this.optin = true;
  }
  run(v: unknown): unknown {
    return v;
  }
}

type Check<V> = (v: V, path: PropertyKey[]) => Issue | undefined;

class Str extends Schema<string> {
  constructor(private readonly checks: Check<string | unknown[]>[] = []) {
    super();
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): string {
    const isString = typeof v === 'string';
    if (!isString) issues.push(typeIssue('string', path, v));
    // as zod 4: a length check runs on anything with a length, so `[]` is also "too small"
    if (!isString && !Array.isArray(v)) return v as string;
    for (const c of this.checks) {
      const i = c(v as string | unknown[], path);
      if (i !== undefined) issues.push(i);
    }
    return v as string;
  }
  min(n: number): Str {
    return new Str([
      ...this.checks,
      (v, path) => {
        if (v.length >= n) return undefined;
        const origin = typeof v === 'string' ? 'string' : 'array';
        return {
          code: 'too_small',
          origin,
          minimum: n,
          inclusive: true,
          path,
          continue: true,
          message: `Too small: expected ${origin} to have >=${n} ${origin === 'string' ? 'characters' : 'items'}`,
        };
      },
    ]);
  }
}

class Num extends Schema<number> {
  constructor(private readonly checks: Check<number>[] = []) {
    super();
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.push(typeIssue('number', path, v));
      return v as number;
    }
    for (const c of this.checks) {
      const i = c(v, path);
      if (i === undefined) continue;
      issues.push(i);
      if (i.continue !== true) break; // a non-integer stops the checks after it
    }
    return v;
  }
  private with(c: Check<number>): Num {
    return new Num([...this.checks, c]);
  }
  int(): Num {
    return this.with((v, path) => {
      if (!Number.isInteger(v))
        return {
          code: 'invalid_type',
          expected: 'int',
          path,
          message: 'Invalid input: expected int, received number',
        };
      if (!Number.isSafeInteger(v))
        return v > 0
          ? bound('too_big', Number.MAX_SAFE_INTEGER, true, path, 'int')
          : bound('too_small', Number.MIN_SAFE_INTEGER, true, path, 'int');
      return undefined;
    });
  }
  min(n: number): Num {
    return this.with((v, path) => (v >= n ? undefined : bound('too_small', n, true, path)));
  }
  max(n: number): Num {
    return this.with((v, path) => (v <= n ? undefined : bound('too_big', n, true, path)));
  }
  positive(): Num {
    return this.with((v, path) => (v > 0 ? undefined : bound('too_small', 0, false, path)));
  }
  nonnegative(): Num {
    return this.min(0);
  }
}

function bound(
  code: 'too_small' | 'too_big',
  n: number,
  inclusive: boolean,
  path: PropertyKey[],
  origin: 'number' | 'int' = 'number',
): Issue {
  const op = code === 'too_small' ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  return {
    code,
    origin,
    ...(code === 'too_small' ? { minimum: n } : { maximum: n }),
    inclusive,
    path,
    continue: true,
    message: `Too ${code === 'too_small' ? 'small' : 'big'}: expected ${origin} to be ${op}${n}`,
  };
}

class Bool extends Schema<boolean> {
  run(v: unknown, path: PropertyKey[], issues: Issue[]): boolean {
    if (typeof v !== 'boolean') issues.push(typeIssue('boolean', path, v));
    return v as boolean;
  }
}

class Null extends Schema<null> {
  run(v: unknown, path: PropertyKey[], issues: Issue[]): null {
    if (v !== null) issues.push(typeIssue('null', path, v));
    return null;
  }
}

class Literal<L extends string | number | boolean> extends Schema<L> {
  constructor(private readonly lit: L) {
    super();
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): L {
    if (v !== this.lit)
      issues.push({
        code: 'invalid_value',
        path,
        message: `Invalid input: expected ${JSON.stringify(this.lit)}`,
      });
    return this.lit;
  }
}

class Arr<T> extends Schema<T[]> {
  constructor(private readonly item: Schema<T>) {
    super();
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): T[] {
    if (!Array.isArray(v)) {
      issues.push(typeIssue('array', path, v));
      return v as T[];
    }
    return v.map((x, i) => this.item.run(x, [...path, i], issues));
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** `z.record(z.string(), z.unknown())`: a plain object, values as they are. */
class Rec extends Schema<Record<string, unknown>> {
  run(v: unknown, path: PropertyKey[], issues: Issue[]): Record<string, unknown> {
    if (!isPlainObject(v)) {
      issues.push(typeIssue('record', path, v));
      return v as Record<string, unknown>;
    }
    return { ...v };
  }
}

type Shape = Record<string, Schema<unknown>>;
type OptKeys<S extends Shape> = {
  [K in keyof S]: undefined extends Infer<S[K]> ? K : never;
}[keyof S];
type ObjOut<S extends Shape> = {
  [K in Exclude<keyof S, OptKeys<S>>]: Infer<S[K]>;
} & { [K in OptKeys<S>]?: Infer<S[K]> } & { [k: string]: unknown };

/** An own data property, even for a key like `__proto__`. */
function define(o: Record<string, unknown>, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

class LooseObj<S extends Shape> extends Schema<ObjOut<S>> {
  constructor(private readonly shape: S) {
    super();
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): ObjOut<S> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      issues.push(typeIssue('object', path, v));
      return v as ObjOut<S>;
    }
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(this.shape)) {
      const present = Object.prototype.hasOwnProperty.call(input, k);
      const x = present ? input[k] : undefined;
      const r = s.run(x, [...path, k], issues);
      if (present || r !== undefined) define(out, k, r);
    }
    for (const k of Object.keys(input)) if (!Object.hasOwn(this.shape, k)) define(out, k, input[k]);
    return out as ObjOut<S>;
  }
}

class Union<T> extends Schema<T> {
  constructor(private readonly options: Schema<unknown>[]) {
    super();
    this.optin = options.some((o) => o.optin);
  }
  run(v: unknown, path: PropertyKey[], issues: Issue[]): T {
    const results = this.options.map((o) => {
      const own: Issue[] = [];
      return { value: o.run(v, path, own) as T, issues: own };
    });
    const ok = results.find((r) => r.issues.length === 0);
    if (ok !== undefined) return ok.value;
    const nonAborted = results.filter((r) => r.issues.every((i) => i.continue === true));
    if (nonAborted.length === 1) {
      issues.push(...nonAborted[0]!.issues);
      return nonAborted[0]!.value;
    }
    issues.push({ code: 'invalid_union', path, message: 'Invalid input' });
    return v as T;
  }
}

type UnionOut<O extends Schema<unknown>[]> = Infer<O[number]>;

/** The builder, named as zod's so schema.ts reads the same. */
export const z = {
  string: (): Str => new Str(),
  number: (): Num => new Num(),
  boolean: (): Schema<boolean> => new Bool(),
  null: (): Schema<null> => new Null(),
  unknown: (): Schema<unknown> => new Unknown(),
  literal: <L extends string | number | boolean>(l: L): Schema<L> => new Literal(l),
  array: <T>(item: Schema<T>): Schema<T[]> => new Arr(item),
  record: (_key: Str, _value: Schema<unknown>): Schema<Record<string, unknown>> => new Rec(),
  looseObject: <S extends Shape>(shape: S): Schema<ObjOut<S>> => new LooseObj(shape),
  union: <O extends Schema<unknown>[]>(options: [...O]): Schema<UnionOut<O>> =>
    new Union<UnionOut<O>>(options),
};
