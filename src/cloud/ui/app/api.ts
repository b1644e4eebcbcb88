/**
 * The only front-end module that knows the cloud API's shapes (docs/cloud.md). The session cookie
 * (`wharf_session`, HTTP-only) authenticates every call; a 401 anywhere sends the user back to the
 * login form.
 */
import type { CaptureMeta, ViamRow } from '../../../shared/record.js';
import type {
  FleetEntry,
  GapSpan,
  ImageMeta,
  SeriesLine,
  SeriesResult as ApiSeries,
} from '../../api-types.js';

/** A Viam row as the API returns it (with the store's id; `data` as plain JSON). */
export interface Row
  extends CaptureMeta, Pick<ViamRow, 'kind' | 'time_requested' | 'time_received'> {
  id?: string | number;
  data: Record<string, unknown>;
  [extra: string]: unknown;
}

export interface Page {
  rows: Row[];
  next_cursor: string | null;
}

export type { GapSpan, ImageMeta, SeriesLine } from '../../api-types.js';

/** GET /api/v1/series with times normalised (a missing or unparsable time is null). */
export interface SeriesResult extends Pick<ApiSeries, 'series' | 'gaps' | 'truncated'> {
  /** The time window the server bucketed (ms). */
  from: number | null;
  to: number | null;
  points_in_range: number | null;
}

/** GET /api/v1/fleet rows with times and rates normalised (null when absent). */
export interface Board extends Pick<
  FleetEntry,
  'machine' | 'part_id' | 'component_type' | 'component_name' | 'online' | 'gap_count'
> {
  last_seen: number | null;
  readings_per_min: number | null;
  /** 'last_minute': readings in the minute before last_seen; 'range': the range's average. */
  rate_window?: 'last_minute' | 'range';
  readings: number | null;
}

/** One machine's config rollout: desired (cloud) vs applied (its last report). */
export interface MachineRollout {
  machine: string;
  desired: {
    config_revision: number;
    fragments: { id: string; revision: number }[];
    problems: unknown[];
  } | null;
  applied: {
    status: 'applied' | 'rejected';
    config_revision: number;
    fragments: { id: string; revision: number }[];
    plan_hash: string | null;
    applied_ms: number;
    error: string | null;
  } | null;
  in_sync: boolean;
}

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  /** Set when the statement failed after rows had started (e.g. the timeout): rows are partial. */
  error: string | null;
}

/** An answer as it arrives: the fields K may be numbers, numeric strings (PostgreSQL bigints) or null. */
type Wire<T, K extends keyof T> = Omit<T, K> & { [P in K]: number | string | null };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const UNAUTHORIZED_EVENT = 'wharf:unauthorized';

function errorText(body: unknown, status: number): string {
  if (body !== null && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const e = b.error;
    if (
      e !== null &&
      typeof e === 'object' &&
      typeof (e as Record<string, unknown>).message === 'string'
    )
      return (e as { message: string }).message;
    if (typeof b.message === 'string') return b.message;
    if (typeof e === 'string') return e;
  }
  if (typeof body === 'string' && body.trim() !== '') return body.trim().slice(0, 500);
  return `HTTP ${status}`;
}

async function call<T>(
  method: string,
  path: string,
  body?: unknown,
  opts: { signal?: AbortSignal; quiet401?: boolean } = {},
): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  };
  if (opts.signal) init.signal = opts.signal;
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // keep the text
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401)
      window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
    throw new ApiError(res.status, errorText(parsed, res.status));
  }
  return parsed as T;
}

const num = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v !== '') {
    const n = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v);
    return Number.isFinite(n) ? n : null;
  }
  return null;
};

/** Rows may carry times as numbers or ISO strings; the UI works in ms epoch. */
export function normaliseRow(r: Record<string, unknown>): Row {
  const row = { ...r } as Row;
  row.time_requested = num(r.time_requested) ?? NaN;
  row.time_received = num(r.time_received) ?? NaN;
  if (typeof r.tags === 'string') row.tags = (r.tags as string).split(',').filter(Boolean);
  if (!Array.isArray(row.tags)) row.tags = [];
  if (typeof r.data === 'string') {
    try {
      row.data = JSON.parse(r.data as string) as Record<string, unknown>;
    } catch {
      row.data = { raw: r.data };
    }
  }
  if (typeof r.additional_parameters === 'string') {
    try {
      row.additional_parameters = JSON.parse(r.additional_parameters as string) as Record<
        string,
        unknown
      >;
    } catch {
      row.additional_parameters = { raw: r.additional_parameters };
    }
  }
  if (row.method_name === undefined && typeof r.method === 'string') row.method_name = r.method;
  return row;
}

export async function sessionStatus(): Promise<boolean> {
  try {
    await call('GET', '/api/v1/session', undefined, { quiet401: true });
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      // no session probe route: ask a cheap data route instead
      try {
        await call('GET', '/api/v1/readings?limit=1', undefined, { quiet401: true });
        return true;
      } catch {
        return false;
      }
    }
    return false;
  }
}

export async function login(apiKey: string): Promise<void> {
  await call('POST', '/api/v1/session', { api_key: apiKey }, { quiet401: true });
}

export async function logout(): Promise<void> {
  await call('DELETE', '/api/v1/session', undefined, { quiet401: true });
}

export async function readings(params: URLSearchParams, signal?: AbortSignal): Promise<Page> {
  const res = await call<{ rows: Record<string, unknown>[]; next_cursor?: string | null }>(
    'GET',
    `/api/v1/readings?${params}`,
    undefined,
    signal ? { signal } : {},
  );
  return { rows: (res.rows ?? []).map(normaliseRow), next_cursor: res.next_cursor ?? null };
}

export async function series(params: URLSearchParams, signal?: AbortSignal): Promise<SeriesResult> {
  const res = await call<
    Partial<Wire<ApiSeries, 'from' | 'to' | 'points_in_range'>> & {
      gaps?: Wire<GapSpan, 'start' | 'end'>[];
    }
  >('GET', `/api/v1/series?${params}`, undefined, signal ? { signal } : {});
  const lines: SeriesLine[] = res.series ?? [];
  const gaps = (res.gaps ?? []).map((g): GapSpan => ({
    ...g,
    start: num(g.start) ?? NaN,
    end: num(g.end) ?? NaN,
  }));
  return {
    from: num(res.from),
    to: num(res.to),
    series: lines,
    gaps,
    points_in_range: num(res.points_in_range),
    truncated: res.truncated === true,
  };
}

export async function fleet(params: URLSearchParams, signal?: AbortSignal): Promise<Board[]> {
  type WireBoard = Wire<FleetEntry, 'last_seen' | 'readings_per_min' | 'readings' | 'gap_count'>;
  const res = await call<WireBoard[] | { boards?: WireBoard[]; machines?: WireBoard[] }>(
    'GET',
    `/api/v1/fleet?${params}`,
    undefined,
    signal ? { signal } : {},
  );
  const list = Array.isArray(res) ? res : (res.boards ?? res.machines ?? []);
  return list.map((b) => ({
    ...b,
    last_seen: num(b.last_seen),
    readings_per_min: num(b.readings_per_min),
    readings: num(b.readings),
    gap_count: num(b.gap_count) ?? 0,
    online: Boolean(b.online),
  }));
}

/** The fleet config rollout per machine; [] when the cloud has no fleet API. */
export async function fleetMachines(signal?: AbortSignal): Promise<MachineRollout[]> {
  try {
    const res = await call<{ machines?: MachineRollout[] }>(
      'GET',
      '/api/v1/fleet/machines',
      undefined,
      signal ? { signal } : {},
    );
    return res.machines ?? [];
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

export interface RetentionView {
  policies: { machine: string; days: number }[];
  events: { at_ms: number; machine: string; readings: number; gaps: number; images: number }[];
}

/** Retention policies and the newest removals; null when the cloud has no retention API. */
export async function retention(signal?: AbortSignal): Promise<RetentionView | null> {
  try {
    return await call<RetentionView>(
      'GET',
      '/api/v1/retention?limit=100',
      undefined,
      signal ? { signal } : {},
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

export async function sql(query: string, signal?: AbortSignal): Promise<SqlResult> {
  const res = await call<Record<string, unknown>>(
    'POST',
    '/api/v1/sql',
    { sql: query },
    signal ? { signal } : {},
  );
  const rawRows = (res.rows as unknown[] | undefined) ?? [];
  let columns =
    (res.columns as unknown[] | undefined)?.map((c) =>
      typeof c === 'string' ? c : String((c as { name?: string }).name ?? c),
    ) ?? [];
  let rows: unknown[][];
  if (rawRows.length > 0 && !Array.isArray(rawRows[0])) {
    if (columns.length === 0) columns = Object.keys(rawRows[0] as object);
    rows = rawRows.map((r) => columns.map((c) => (r as Record<string, unknown>)[c]));
  } else {
    rows = rawRows as unknown[][];
  }
  const err = res.error as { message?: string } | undefined;
  return { columns, rows, truncated: Boolean(res.truncated), error: err?.message ?? null };
}

export function exportUrl(format: string, params: URLSearchParams): string {
  const p = new URLSearchParams(params);
  p.set('format', format);
  return `/api/v1/export?${p}`;
}

export function exportSqlUrl(format: string, query: string): string {
  return `/api/v1/export?${new URLSearchParams({ format, sql: query })}`;
}

export async function images(
  params: URLSearchParams,
  signal?: AbortSignal,
): Promise<{ images: ImageMeta[]; next_cursor: string | null }> {
  const res = await call<{ images?: ImageMeta[]; next_cursor?: string | null }>(
    'GET',
    `/api/v1/images?${params}`,
    undefined,
    signal ? { signal } : {},
  );
  return { images: res.images ?? [], next_cursor: res.next_cursor ?? null };
}

/** Images matching a filter (the same parameters as `images`). */
export async function imageCount(params: URLSearchParams, signal?: AbortSignal): Promise<number> {
  const res = await call<{ count?: number }>(
    'GET',
    `/api/v1/images/count?${params}`,
    undefined,
    signal ? { signal } : {},
  );
  return res.count ?? 0;
}

/** At most this many images in one download (the server's EXPORT_MAX_IMAGES, export-tar.ts). */
export const IMAGE_DOWNLOAD_MAX = 10_000;

/** The tar of a filter's images and their images.jsonl (GET /api/v1/images/export.tar). */
export const imageExportUrl = (params: URLSearchParams): string =>
  `/api/v1/images/export.tar?${params}`;

export const imageUrl = (id: number): string => `/api/v1/images/${encodeURIComponent(id)}`;
export const thumbUrl = (id: number): string => `${imageUrl(id)}/thumb`;
