/**
 * Checks every record (and the header's meta) of a decoded capture file before anything is
 * stored. A checksum-valid file can still hold records the store cannot keep faithfully: a NaN or
 * missing time, a BigInt value, a gap without its fields, a value JSON cannot carry. Those are the
 * sender's fault: the whole file is refused with 422 CLOUD_INGEST_REJECTED naming the first bad
 * record, and nothing is stored (never a 500, never a silently changed value).
 *
 * Unknown extra fields of a record are ignored (a newer gateway may add some); everything the
 * store keeps is checked.
 */
import { WharfError } from '../shared/errors.js';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import { imageProblem, isImageReading } from './images/validate.js';

/** Latest accepted time: 9999-12-31T23:59:59.999Z in ms. Earliest: the epoch. */
export const MAX_TIME_MS = 253_402_300_799_999;
const MAX_DEPTH = 32;
const MAX_STRING = 64 * 1024;
const GAP_REASON = /^[a-z][a-z0-9_]{0,63}$/;
// a NUL (PostgreSQL text cannot hold it) or a lone UTF-16 surrogate (not encodable as UTF-8)
// eslint-disable-next-line no-control-regex -- finding the NUL is the point
const BAD_CHARS = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A decoded value's fields, to check before trusting its type (none for a non-object). */
function fieldsOf(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `the BigInt ${String(v).slice(0, 30)}`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 30))}`;
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'a byte string';
  return `a ${typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v}`;
}

function stringProblem(s: string, where: string): string | null {
  if (s.length > MAX_STRING) return `${where} is longer than ${MAX_STRING} characters`;
  if (BAD_CHARS.test(s))
    return `${where} holds a NUL character or a lone UTF-16 surrogate (not valid text)`;
  return null;
}

/** Key names already found fine (a fleet has a few distinct ones), so each is checked once. */
const goodKeys = new Set<string>();

const isPlainObject = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
};

/**
 * Whether `v` can be stored as JSON exactly as sent: the same rules as `jsonProblem`, without
 * building the path of every value on the way (that made validation cost ~0.5 µs per record).
 * Only when this says no does `jsonProblem` walk again to say where and why.
 */
function jsonOk(v: unknown, depth: number): boolean {
  if (v === null || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v === 'string') return v.length <= MAX_STRING && !BAD_CHARS.test(v);
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!jsonOk(v[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(v)) return false;
  for (const k in v) {
    if (!goodKeys.has(k)) {
      if (stringProblem(k, '') !== null) return false;
      if (goodKeys.size < 10_000) goodKeys.add(k);
    }
    if (!jsonOk(v[k], depth + 1)) return false;
  }
  return true;
}

/**
 * Why `v` cannot be stored as JSON exactly as sent (null when it can): only null, booleans,
 * finite numbers, text, arrays and plain objects, at most 32 levels deep.
 */
export function jsonProblem(v: unknown, where: string, depth = 0): string | null {
  if (depth === 0 && jsonOk(v, 0)) return null;
  if (v === null || typeof v === 'boolean') return null;
  if (typeof v === 'number')
    return Number.isFinite(v)
      ? null
      : `${where} is ${describe(v)}, expected a finite number (JSON cannot carry it)`;
  if (typeof v === 'string') return stringProblem(v, where);
  if (depth >= MAX_DEPTH) return `${where} is nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = jsonProblem(v[i], `${where}[${i}]`, depth + 1);
      if (p !== null) return p;
    }
    return null;
  }
  if (isPlainObject(v)) {
    for (const k of Object.keys(v)) {
      if (!goodKeys.has(k)) {
        const kp = stringProblem(k, `a key of ${where}`);
        if (kp !== null) return kp;
        if (goodKeys.size < 10_000) goodKeys.add(k);
      }
      const p = jsonProblem(v[k], `${where}.${k.slice(0, 40)}`, depth + 1);
      if (p !== null) return p;
    }
    return null;
  }
  return `${where} is ${describe(v)}, which JSON cannot carry (null, boolean, number, text, array or object)`;
}

function timeProblem(v: unknown, name: string): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v))
    return `${name} is ${describe(v)}, expected a finite number of ms since the epoch`;
  if (v < 0 || v > MAX_TIME_MS)
    return `${name} is ${v}, outside 0 … ${MAX_TIME_MS} (1970 to 9999) ms since the epoch`;
  return null;
}

/** Why the record cannot be stored (null when it is fine). */
export function recordProblem(rec: CaptureRecord): string | null {
  const r = fieldsOf(rec);
  if (r.kind === 'reading') {
    const t =
      timeProblem(r.time_requested, 'time_requested') ??
      timeProblem(r.time_received, 'time_received');
    if (t !== null) return t;
    if (!isPlainObject(r.data)) return `data is ${describe(r.data)}, expected an object`;
    return jsonProblem(r.data, 'data') ?? (isImageReading(r) ? imageProblem(r) : null);
  }
  if (r.kind === 'gap') {
    if (typeof r.reason !== 'string' || !GAP_REASON.test(r.reason))
      return `gap reason is ${describe(r.reason)}, expected a reason name such as 'board_offline'`;
    const t = timeProblem(r.start, 'gap start') ?? timeProblem(r.end, 'gap end');
    if (t !== null) return t;
    if (typeof r.count !== 'number' || !Number.isSafeInteger(r.count) || r.count < 0)
      return `gap count is ${describe(r.count)}, expected a whole number ≥ 0`;
    if (r.detail !== undefined) {
      if (typeof r.detail !== 'string') return `gap detail is ${describe(r.detail)}, expected text`;
      return stringProblem(r.detail, 'gap detail');
    }
    return null;
  }
  return `kind is ${describe(r.kind)}, expected 'reading' or 'gap'`;
}

/** Why the header's meta cannot be stored (null when it is fine). */
export function metaProblem(m: CaptureMeta): string | null {
  for (const k of [
    'part_id',
    'machine',
    'component_type',
    'component_name',
    'method_name',
  ] as const) {
    const v = fieldsOf(m)[k];
    if (typeof v !== 'string') return `header meta.${k} is ${describe(v)}, expected text`;
    const p = stringProblem(v, `header meta.${k}`);
    if (p !== null) return p;
  }
  if (!Array.isArray(m.tags)) return `header meta.tags is ${describe(m.tags)}, expected a list`;
  for (let i = 0; i < m.tags.length; i++) {
    const t: unknown = m.tags[i];
    if (typeof t !== 'string') return `header meta.tags[${i}] is ${describe(t)}, expected text`;
    const p = stringProblem(t, `header meta.tags[${i}]`);
    if (p !== null) return p;
  }
  if (!isPlainObject(m.additional_parameters))
    return `header meta.additional_parameters is ${describe(m.additional_parameters)}, expected an object`;
  return jsonProblem(m.additional_parameters, 'header meta.additional_parameters');
}

/** Throws 422 CLOUD_INGEST_REJECTED naming the first bad record (or the header). */
export function validateCapture(fileId: string, meta: CaptureMeta, records: CaptureRecord[]): void {
  const mp = metaProblem(meta);
  if (mp !== null)
    throw new WharfError('CLOUD_INGEST_REJECTED', `file ${fileId} refused: ${mp}`, {
      details: { record_index: null, problem: mp },
    });
  for (let i = 0; i < records.length; i++) {
    const p = recordProblem(records[i]!);
    if (p !== null)
      throw new WharfError(
        'CLOUD_INGEST_REJECTED',
        `file ${fileId} refused: record ${i} (of ${records.length}): ${p}; nothing of the file was stored`,
        { details: { record_index: i, problem: p } },
      );
  }
}
