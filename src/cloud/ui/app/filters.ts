/**
 * The filter shared by the Data, Charts, Fleet and Live views. It lives in the URL
 * (`#/<view>?machine=…&range=1h`), so a view can be bookmarked and shared.
 */

export type RangePreset = '15m' | '1h' | '24h' | '7d' | 'all' | 'custom';

export interface Filter {
  machine: string;
  part_id: string;
  component_type: string;
  component_name: string;
  method: string;
  /** '' (both), 'reading' or 'gap'. */
  kind: string;
  /** Any of these tags. */
  tags: string[];
  range: RangePreset;
  /** Custom range bounds, ms epoch (only with range=custom). */
  from: number | null;
  to: number | null;
}

export const RANGE_LABELS: Record<RangePreset, string> = {
  '15m': 'Last 15 minutes',
  '1h': 'Last hour',
  '24h': 'Last 24 hours',
  '7d': 'Last 7 days',
  all: 'All time',
  custom: 'Custom…',
};

const RANGE_MS: Partial<Record<RangePreset, number>> = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};

export function emptyFilter(): Filter {
  return {
    machine: '',
    part_id: '',
    component_type: '',
    component_name: '',
    method: '',
    kind: '',
    tags: [],
    range: 'all',
    from: null,
    to: null,
  };
}

function parseTime(s: string | null): number | null {
  if (s === null || s === '') return null;
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : Date.parse(s);
  return Number.isFinite(n) ? n : null;
}

export function filterFromParams(p: URLSearchParams): Filter {
  const f = emptyFilter();
  f.machine = p.get('machine') ?? '';
  f.part_id = p.get('part_id') ?? '';
  f.component_type = p.get('component_type') ?? '';
  f.component_name = p.get('component_name') ?? '';
  f.method = p.get('method') ?? '';
  f.kind = p.get('kind') ?? '';
  f.tags = (p.get('tags') ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const range = p.get('range') as RangePreset | null;
  f.from = parseTime(p.get('from'));
  f.to = parseTime(p.get('to'));
  if (range !== null && range in RANGE_LABELS) f.range = range;
  else if (f.from !== null || f.to !== null) f.range = 'custom';
  if (f.range !== 'custom') {
    f.from = null;
    f.to = null;
  }
  return f;
}

/** The non-empty field filters (everything but the time range), in URL and API form alike. */
function fieldParams(f: Filter): URLSearchParams {
  const p = new URLSearchParams();
  const put = (k: string, v: string): void => {
    if (v !== '') p.set(k, v);
  };
  put('machine', f.machine);
  put('part_id', f.part_id);
  put('component_type', f.component_type);
  put('component_name', f.component_name);
  put('method', f.method);
  put('kind', f.kind);
  put('tags', f.tags.join(','));
  return p;
}

/** URL form: only non-empty fields; custom bounds as ISO strings so the URL stays readable. */
export function filterToParams(f: Filter): URLSearchParams {
  const p = fieldParams(f);
  if (f.range !== 'all') p.set('range', f.range);
  if (f.range === 'custom') {
    if (f.from !== null) p.set('from', new Date(f.from).toISOString());
    if (f.to !== null) p.set('to', new Date(f.to).toISOString());
  }
  return p;
}

/** The absolute time window of a filter right now (presets are relative to `now`). */
export function resolveRange(
  f: Filter,
  now = Date.now(),
): { from: number | null; to: number | null } {
  const span = RANGE_MS[f.range];
  if (span !== undefined) return { from: now - span, to: null };
  if (f.range === 'custom') return { from: f.from, to: f.to };
  return { from: null, to: null };
}

/** API query parameters (times as ms epoch numbers). */
export function filterToApiParams(f: Filter, now = Date.now()): URLSearchParams {
  const p = fieldParams(f);
  const { from, to } = resolveRange(f, now);
  if (from !== null) p.set('from', String(Math.floor(from)));
  if (to !== null) p.set('to', String(Math.ceil(to)));
  return p;
}

export function describeFilter(f: Filter): string {
  const parts: string[] = [];
  if (f.machine) parts.push(`machine ${f.machine}`);
  if (f.part_id) parts.push(`part ${f.part_id}`);
  if (f.component_type) parts.push(`type ${f.component_type}`);
  if (f.component_name) parts.push(`component ${f.component_name}`);
  if (f.method) parts.push(`method ${f.method}`);
  if (f.kind) parts.push(f.kind === 'gap' ? 'gaps only' : 'readings only');
  if (f.tags.length) parts.push(`tags ${f.tags.join(', ')}`);
  parts.push(RANGE_LABELS[f.range].replace('…', ''));
  return parts.join(' · ');
}
