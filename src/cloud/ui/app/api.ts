/**
 * The only front-end module that knows the cloud API's shapes (docs/cloud.md), by job:
 * the call itself (api-http.ts), wire normalisation (api-wire.ts), the session (api-session.ts),
 * the fleet (api-fleet.ts), images (api-images.ts), and here readings, series, SQL and export.
 */
import type { GapSpan, SeriesLine, SeriesResult as ApiSeries } from '../../api-types.js';
import { call } from './api-http.js';
import { normaliseRow, num, type Row, type Wire } from './api-wire.js';

export { ApiError, UNAUTHORIZED_EVENT } from './api-http.js';
export { normaliseRow, type Row } from './api-wire.js';
export { login, logout, sessionStatus } from './api-session.js';
export {
  fleet,
  fleetMachines,
  retention,
  type Board,
  type MachineRollout,
  type RetentionView,
} from './api-fleet.js';
export {
  IMAGE_DOWNLOAD_MAX,
  imageCount,
  imageExportUrl,
  imageUrl,
  images,
  thumbUrl,
} from './api-images.js';
export type { GapSpan, ImageMeta, SeriesLine } from '../../api-types.js';

export interface Page {
  rows: Row[];
  next_cursor: string | null;
}

/** GET /api/v1/series with times normalised (a missing or unparsable time is null). */
export interface SeriesResult extends Pick<ApiSeries, 'series' | 'gaps' | 'truncated'> {
  /** The time window the server bucketed (ms). */
  from: number | null;
  to: number | null;
  points_in_range: number | null;
}

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  /** Set when the statement failed after rows had started (e.g. the timeout): rows are partial. */
  error: string | null;
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
