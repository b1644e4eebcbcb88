/**
 * Compact storage of reading data in SQLite. A reading's `data` is `{reader: {value, min_range,
 * max_range, step_size}, …}`: per reader the first field changes from reading to reading, the
 * others (ranges, step) are constant over a stream. The store keeps the first field of each reader
 * in `records.data` (`{"A1":{"value":1234},"A2":{"value":567}}`, about 40 bytes instead of 170) and
 * the rest once in `data_consts` (`{"A1":{"min_range":0,…},…}`), referenced by `records.consts`.
 *
 * Row size dominates SQLite's insert cost, and the JSON is built here without JSON.stringify of the
 * whole object, so ingest is markedly faster (docs/benchmarks.md). The original is restored exactly:
 * in SQL by `json_patch(data, consts)` (RFC 7396 merge; numbers are copied verbatim, keys keep their
 * order because the first field comes first), in JS by `mergeConsts`. Data of any other shape
 * (nested objects, nulls, non-finite numbers, a first field that is not a scalar, empty readers)
 * is stored whole with `consts` NULL, as before. A record shaped exactly like the one before it
 * (same readers, first fields and constants: nearly every record of a file) takes a shortcut that
 * only compares and appends (≈ 0.12 instead of 0.25 µs per record, docs/benchmarks.md).
 */

type Scalar = string | number | boolean;

/** JSON texts of key names (a few distinct ones per fleet), so each is escaped once. */
const keyJson = new Map<string, string>();
const KEY_CACHE_MAX = 10_000;

function jsonKey(k: string): string {
  let j = keyJson.get(k);
  if (j === undefined) {
    j = JSON.stringify(k);
    if (keyJson.size < KEY_CACHE_MAX) keyJson.set(k, j);
  }
  return j;
}

/** A finite number's JSON is its String(); strings and booleans go through JSON.stringify. */
const jsonScalar = (v: Scalar): string => (typeof v === 'number' ? String(v) : JSON.stringify(v));

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

/** Splits the data of the readings of one file; remembers the previous record's constants. */
export class DataSplitter {
  private cur: unknown[] = [];
  private prev: unknown[] = [];
  private prevConsts: string | null = null;

  /**
   * `{varying, consts}` JSON texts, or null when the data must be stored whole. `consts` is the
   * same string instance as for the previous record when the constants did not change.
   */
  split(data: unknown): { varying: string; consts: string } | null {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return null;
    return this.same(data as Record<string, unknown>) ?? this.full(data as Record<string, unknown>);
  }

  /** First field name of each reader of the previous record, and `"reader":{"field":` texts. */
  private firsts: string[] = [];
  private prefixes: string[] = [];

  /**
   * The common case, without building `cur` or escaping keys: the record has exactly the previous
   * record's readers, first fields and constant fields (same values). Null sends it to `full`.
   */
  private same(data: Record<string, unknown>): { varying: string; consts: string } | null {
    const consts = this.prevConsts;
    if (consts === null) return null;
    const prev = this.prev;
    let j = 0;
    let readers = 0;
    let varying = '{';
    for (const k in data) {
      const r = data[k];
      if (r === null || typeof r !== 'object' || Array.isArray(r) || prev[j++] !== k) return null;
      let fields = 0;
      for (const f in r) {
        const v = (r as Record<string, unknown>)[f];
        if (fields === 0) {
          if (f !== this.firsts[readers] || !isScalar(v)) return null;
          varying += `${this.prefixes[readers]}${jsonScalar(v)}}`;
        } else {
          // the previous values are finite scalars, so equal means the same scalar
          if (prev[j] !== f || prev[j + 1] !== v) return null;
          j += 2;
        }
        fields++;
      }
      if (fields === 0 || prev[j++] !== READER_END) return null;
      readers++;
    }
    if (readers === 0 || j !== prev.length) return null;
    return { varying: `${varying}}`, consts };
  }

  private full(data: Record<string, unknown>): { varying: string; consts: string } | null {
    const cur = this.cur;
    const firsts: string[] = [];
    const keys: string[] = [];
    cur.length = 0;
    let varying = '{';
    let readers = 0;
    for (const k in data) {
      const r = (data as Record<string, unknown>)[k];
      if (r === null || typeof r !== 'object' || Array.isArray(r)) return null;
      let fields = 0;
      cur.push(k);
      for (const f in r) {
        const v = (r as Record<string, unknown>)[f];
        if (!isScalar(v)) return null;
        if (fields === 0) {
          varying += `${readers === 0 ? '' : ','}${jsonKey(k)}:{${jsonKey(f)}:${jsonScalar(v)}}`;
          firsts.push(f);
          keys.push(k);
        } else cur.push(f, v);
        fields++;
      }
      if (fields === 0) return null;
      cur.push(READER_END);
      readers++;
    }
    if (readers === 0) return null;
    const prev = this.prev;
    let same = this.prevConsts !== null && prev.length === cur.length;
    for (let i = 0; same && i < cur.length; i++) if (cur[i] !== prev[i]) same = false;
    if (!same) {
      this.prevConsts = constsJson(cur);
      this.prev = cur;
      this.cur = prev;
    }
    this.firsts = firsts;
    this.prefixes = firsts.map(
      (f, i) => `${i === 0 ? '' : ','}${jsonKey(keys[i]!)}:{${jsonKey(f)}:`,
    );
    return { varying: `${varying}}`, consts: this.prevConsts! };
  }
}

const READER_END = Symbol('reader end');

function constsJson(flat: unknown[]): string {
  let out = '{';
  let i = 0;
  let firstReader = true;
  while (i < flat.length) {
    out += `${firstReader ? '' : ','}${JSON.stringify(flat[i++])}:{`;
    firstReader = false;
    let firstField = true;
    while (flat[i] !== READER_END) {
      out += `${firstField ? '' : ','}${JSON.stringify(flat[i])}:${JSON.stringify(flat[i + 1])}`;
      firstField = false;
      i += 2;
    }
    out += '}';
    i++;
  }
  return `${out}}`;
}

/** Restores the stored form: each reader of `varying` gets its constant fields back, in order. */
export function mergeConsts(
  varying: Record<string, Record<string, unknown>>,
  consts: Record<string, Record<string, unknown>>,
): Record<string, unknown> {
  for (const k in varying) Object.assign(varying[k]!, consts[k]);
  return varying;
}
