/**
 * The scalar schemas of the small schema builder (validate.ts): string (with a length check),
 * number (int, min, max, positive, nonnegative), boolean, null and literals, with zod 4's issues.
 */
import { Schema, typeIssue, type Check, type Issue } from './validate-base.js';

export class Str extends Schema<string> {
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

export class Num extends Schema<number> {
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

export class Bool extends Schema<boolean> {
  run(v: unknown, path: PropertyKey[], issues: Issue[]): boolean {
    if (typeof v !== 'boolean') issues.push(typeIssue('boolean', path, v));
    return v as boolean;
  }
}

export class Null extends Schema<null> {
  run(v: unknown, path: PropertyKey[], issues: Issue[]): null {
    if (v !== null) issues.push(typeIssue('null', path, v));
    return null;
  }
}

export class Literal<L extends string | number | boolean> extends Schema<L> {
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
