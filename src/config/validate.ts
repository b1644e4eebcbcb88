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
import { Schema, Unknown, typeIssue, type Infer, type Issue } from './validate-base.js';
import { Bool, Literal, Null, Num, Str } from './validate-scalars.js';

export { Schema, type Infer, type Issue } from './validate-base.js';

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
