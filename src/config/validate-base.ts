/**
 * The base of the small schema builder (validate.ts): the issue shape (zod 4's), the abstract
 * schema with `safeParse`/`optional`/`nullish`, and the type-mismatch issue every schema reports.
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

export function typeIssue(expected: string, path: PropertyKey[], v: unknown): Issue {
  const received = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  return {
    code: 'invalid_type',
    expected,
    path,
    message: `Invalid input: expected ${expected}, received ${received}`,
  };
}

export class Wrap<T> extends Schema<T> {
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

export class Unknown extends Schema<unknown> {
  constructor() {
    super();
    this.optin = true;
  }
  run(v: unknown): unknown {
    return v;
  }
}

export type Check<V> = (v: V, path: PropertyKey[]) => Issue | undefined;
