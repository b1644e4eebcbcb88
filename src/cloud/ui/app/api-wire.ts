/**
 * Answers as they arrive on the wire, normalised for the UI: times and counts may be numbers,
 * numeric strings (PostgreSQL bigints), ISO strings or null; the UI works in ms epoch.
 */
import type { CaptureMeta, ViamRow } from '../../../shared/record.js';

/** A Viam row as the API returns it (with the store's id; `data` as plain JSON). */
export interface Row
  extends CaptureMeta, Pick<ViamRow, 'kind' | 'time_requested' | 'time_received'> {
  id?: string | number;
  data: Record<string, unknown>;
  [extra: string]: unknown;
}

/** An answer as it arrives: the fields K may be numbers, numeric strings (PostgreSQL bigints) or null. */
export type Wire<T, K extends keyof T> = Omit<T, K> & { [P in K]: number | string | null };

export const num = (v: unknown): number | null => {
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
