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
 * is stored whole with `consts` NULL, as before.
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
    const cur = this.cur;
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
        if (fields === 0)
          varying += `${readers === 0 ? '' : ','}${jsonKey(k)}:{${jsonKey(f)}:${jsonScalar(v)}}`;
        else cur.push(f, v);
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
