/** Query-string → ReadingFilter / QueryOptions, with errors that name the bad parameter. */
import { WharfError } from '../shared/errors.js';
import { parseTimeSpec, TIME_FORMS } from '../shared/time-spec.js';
import type { QueryOptions, ReadingFilter } from './store/contract.js';

type Q = Record<string, unknown>;

function list(q: Q, name: string): string[] | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const items = (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(','))
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return items.length === 0 ? undefined : items;
}

/** ms epoch, ISO 8601, `now` or relative to now (`-1h`, `-30m`, `-7d`): see src/shared/time-spec.ts. */
export function parseTime(v: unknown, name: string, now = Date.now()): number | undefined {
  if (v === undefined || v === '') return undefined;
  const s = String(v);
  const t = parseTimeSpec(s, now);
  if (t.ok) return t.ms;
  throw new WharfError(
    'CLOUD_BAD_REQUEST',
    `${name}=${s.slice(0, 40)} is not a time (${t.reason}): give ${TIME_FORMS}`,
  );
}

export function parseFilter(q: Q): ReadingFilter {
  const f: ReadingFilter = {};
  const set = <K extends keyof ReadingFilter>(k: K, v: ReadingFilter[K] | undefined): void => {
    if (v !== undefined) f[k] = v;
  };
  set('machine', list(q, 'machine'));
  set('part_id', list(q, 'part_id'));
  set('component_type', list(q, 'component_type'));
  set('component_name', list(q, 'component_name'));
  set('method', list(q, 'method') ?? list(q, 'method_name'));
  set('tags', list(q, 'tags'));
  const kind = q.kind;
  if (kind !== undefined && kind !== '') {
    if (kind !== 'reading' && kind !== 'gap')
      throw new WharfError(
        'CLOUD_BAD_REQUEST',
        `kind must be 'reading' or 'gap' (got '${String(kind)}')`,
      );
    f.kind = kind;
  }
  set('from', parseTime(q.from, 'from'));
  set('to', parseTime(q.to, 'to'));
  return f;
}

export function parseQueryOptions(q: Q, defaultLimit = 100): QueryOptions {
  const limit = q.limit === undefined || q.limit === '' ? defaultLimit : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `limit must be an integer from 1 to 10000 (got '${String(q.limit)}')`,
    );
  }
  const order = q.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `order must be 'asc' or 'desc' (got '${String(order)}')`,
    );
  const cursor = typeof q.cursor === 'string' && q.cursor !== '' ? q.cursor : null;
  return { limit, order, cursor };
}

/** Filter → query string (for clients: sync tests, CLI). */
export function filterToQuery(f: ReadingFilter): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  return p;
}
