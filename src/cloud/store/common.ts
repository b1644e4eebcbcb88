/** Helpers shared by both stores: stream keys, filter matching, cursors, row shaping, API key rows. */
import { createHash } from 'node:crypto';
import { WharfError } from '../../shared/errors.js';
import type { CaptureMeta, CaptureRecord } from '../../shared/record.js';
import type { KeyInfo, QueryOptions, ReadingFilter, StoredRow, StreamInfo } from './contract.js';

/** Stable key of a stream: hash of its canonical header. */
export function streamKey(meta: CaptureMeta): string {
  const canon = JSON.stringify([
    meta.part_id,
    meta.machine,
    meta.component_type,
    meta.component_name,
    meta.method_name,
    [...meta.tags].sort(),
    sortKeys(meta.additional_parameters),
  ]);
  return createHash('sha256').update(canon).digest('hex');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as Record<string, unknown>)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const has = (list: string[] | undefined, value: string): boolean =>
  list === undefined || list.length === 0 || list.includes(value);

/** Whether a stream's header matches the header part of a filter. */
export function streamMatches(s: CaptureMeta, f: ReadingFilter): boolean {
  return (
    has(f.machine, s.machine) &&
    has(f.part_id, s.part_id) &&
    has(f.component_type, s.component_type) &&
    has(f.component_name, s.component_name) &&
    has(f.method, s.method_name) &&
    (f.tags === undefined || f.tags.length === 0 || s.tags.some((t) => f.tags!.includes(t)))
  );
}

export function filtersStreams(f: ReadingFilter): boolean {
  return [f.machine, f.part_id, f.component_type, f.component_name, f.method, f.tags].some(
    (l) => l !== undefined && l.length > 0,
  );
}

/** Stream ids to restrict to, or null when every stream matches. */
export function matchingStreamIds(streams: StreamInfo[], f: ReadingFilter): number[] | null {
  if (!filtersStreams(f)) return null;
  return streams.filter((s) => streamMatches(s, f)).map((s) => s.id);
}

export interface Cursor {
  t: number;
  id: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.t, c.id])).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number')
      return { t: v[0], id: v[1] };
  } catch {
    // fall through
  }
  throw new WharfError(
    'CLOUD_BAD_REQUEST',
    `cursor '${s.slice(0, 40)}' is not a cursor this server issued; pass next_cursor from the previous page unchanged`,
  );
}

export function checkQueryOptions(o: QueryOptions): void {
  if (!Number.isInteger(o.limit) || o.limit < 1 || o.limit > 10_000) {
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `limit must be an integer from 1 to 10000 (got ${o.limit})`,
    );
  }
}

/** The JSON stored in the `data` column for a record. */
export function recordData(rec: CaptureRecord): unknown {
  if (rec.kind === 'reading') return rec.data;
  const d: Record<string, unknown> = { reason: rec.reason, count: rec.count, end: rec.end };
  if (rec.detail !== undefined) d.detail = rec.detail;
  return d;
}

/** time_requested / time_received columns of a record (a gap spans start..end). */
export function recordTimes(rec: CaptureRecord): [number, number] {
  return rec.kind === 'reading' ? [rec.time_requested, rec.time_received] : [rec.start, rec.end];
}

export interface RawRow {
  id: number | string;
  stream_id: number;
  kind: string;
  time_requested: number;
  time_received: number;
  data: unknown;
}

export function shapeRow(r: RawRow, s: StreamInfo | undefined): StoredRow {
  if (s === undefined)
    throw new WharfError('CLOUD_STORE', `row ${r.id} refers to unknown stream ${r.stream_id}`);
  return {
    id: Number(r.id),
    kind: r.kind === 'gap' ? 'gap' : 'reading',
    part_id: s.part_id,
    machine: s.machine,
    component_type: s.component_type,
    component_name: s.component_name,
    method_name: s.method_name,
    additional_parameters: s.additional_parameters,
    tags: s.tags,
    time_requested: Number(r.time_requested),
    time_received: Number(r.time_received),
    data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as StoredRow['data'],
  };
}

/** A row of the `api_keys` table (PostgreSQL may hand the BIGINT times back as strings). */
export interface KeyRow {
  id: string;
  hash: string;
  machine: string | null;
  label: string;
  created_ms: number;
  revoked_ms: number | null;
}

export const keyInfo = (r: KeyRow): KeyInfo => ({
  id: r.id,
  machine: r.machine,
  label: r.label,
  created_ms: Number(r.created_ms),
  revoked_ms: r.revoked_ms === null ? null : Number(r.revoked_ms),
});
