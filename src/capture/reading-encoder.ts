/**
 * A fast path for the commonest record, an `Analogs` reading: the exact bytes cbor-x's sequential
 * record encoder writes for it, without its per-object structure lookup (the gateway's main cost
 * per sample at high rates). It only ever *references* record structures that cbor-x already
 * defined earlier in the same file (found in the encoder's `structures`, which mirror what a reader
 * decoding the file in order holds), so the file stays plain cbor-x output: same bytes, same
 * reader. Anything else (another shape, a structure not yet defined, a value that is not a
 * number, ≥ 24 readers) returns undefined and the caller encodes with cbor-x as before.
 *
 * Layout of such a record (CBOR, cbor-x record extension: tag 0xE000+id, then an array of values):
 *   tag(top) [ "reading", time_requested, time_received, tag(data) [ tag(analog) [value, min, max, step], … ] ]
 */

const TOP_KEYS = ['kind', 'time_requested', 'time_received', 'data'];
const ANALOG_KEYS = ['value', 'min_range', 'max_range', 'step_size'];
const READING = new TextEncoder().encode('reading');

/**
 * What cbor-x's Encoder keeps in sequential record mode: a tree of key transitions; the node reached
 * by a record's keys, in order, holds its structure id under cbor-x's private `record-id` symbol.
 */
export interface RecordStructures {
  /** Null or absent while cbor-x rebuilds it. */
  transitions?: Transition | null;
}
type Transition = { [key: string]: Transition } & { [sym: symbol]: number | undefined };

/** cbor-x's `Symbol('record-id')` (not exported): found on the first node that has one. */
let RECORD_ID: symbol | undefined;

function structureId(root: Transition, keys: readonly string[]): number {
  let t: Transition | undefined = root;
  for (const k of keys) {
    t = Object.hasOwn(t, k) ? t[k] : undefined;
    if (t === undefined || t === null) return -1;
  }
  RECORD_ID ??= Object.getOwnPropertySymbols(t).find((x) => x.description === 'record-id');
  const id = RECORD_ID === undefined ? undefined : t[RECORD_ID];
  return id === undefined ? -1 : id & 0xffff;
}

interface Ids {
  top: number;
  data: number;
  analog: number;
  readers: string[];
}

export class ReadingFastEncoder {
  private buf = new Uint8Array(4096);
  private dv = new DataView(this.buf.buffer);
  private pos = 0;
  private ids: Ids | undefined;

  constructor(private readonly structures: () => RecordStructures | undefined) {}

  /** cbor-x encoded something: structure ids may have been (re)assigned, look them up again. */
  invalidate(): void {
    this.ids = undefined;
  }

  /** The record's bytes (a view valid until the next call), or undefined: use cbor-x. */
  encode(rec: unknown): Uint8Array | undefined {
    const r = rec as Record<string, unknown>;
    if (r.kind !== 'reading') return undefined;
    let i = 0;
    for (const k in r) if (TOP_KEYS[i++] !== k) return undefined;
    if (i !== 4) return undefined;
    const data = r.data as Record<string, Record<string, unknown>> | null;
    const tr = r.time_requested;
    const tv = r.time_received;
    if (typeof tr !== 'number' || typeof tv !== 'number') return undefined;
    if (data === null || typeof data !== 'object') return undefined;
    const ids = this.ids ?? this.lookup(data);
    if (ids === undefined) return undefined;
    const readers = ids.readers;
    const n = readers.length;
    i = 0;
    for (const k in data) if (readers[i++] !== k) return this.miss();
    if (i !== n) return this.miss();
    this.pos = 0;
    this.ensure(40 + n * 48);
    this.tag(ids.top);
    this.buf[this.pos++] = 0x84;
    this.buf[this.pos++] = 0x60 | READING.length;
    this.buf.set(READING, this.pos);
    this.pos += READING.length;
    this.num(tr);
    this.num(tv);
    this.tag(ids.data);
    this.buf[this.pos++] = 0x80 | n;
    for (let j = 0; j < n; j++) {
      const a = data[readers[j]!];
      if (a === null || typeof a !== 'object') return undefined;
      let m = 0;
      for (const k in a) if (ANALOG_KEYS[m++] !== k) return undefined;
      if (m !== 4) return undefined;
      const { value, min_range, max_range, step_size } = a;
      if (
        typeof value !== 'number' ||
        typeof min_range !== 'number' ||
        typeof max_range !== 'number' ||
        typeof step_size !== 'number'
      )
        return undefined;
      this.tag(ids.analog);
      this.buf[this.pos++] = 0x84;
      this.num(value);
      this.num(min_range);
      this.num(max_range);
      this.num(step_size);
    }
    return this.buf.subarray(0, this.pos);
  }

  /** The reader set changed: cbor-x encodes this one, the next looks the structures up again. */
  private miss(): undefined {
    this.ids = undefined;
    return undefined;
  }

  private lookup(data: Record<string, unknown>): Ids | undefined {
    const s = this.structures();
    if (s === undefined) return undefined;
    const readers = Object.keys(data);
    if (readers.length === 0 || readers.length >= 24) return undefined;
    const root = s.transitions;
    if (root === undefined || root === null) return undefined;
    const top = structureId(root, TOP_KEYS);
    const d = structureId(root, readers);
    const analog = structureId(root, ANALOG_KEYS);
    if (top < 0 || d < 0 || analog < 0) return undefined;
    this.ids = { top, data: d, analog, readers };
    return this.ids;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + extra));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** Record reference: tag 0xE000 + id (cbor-x writes d9, e0|id>>8, id&ff). */
  private tag(id: number): void {
    this.buf[this.pos++] = 0xd9;
    this.buf[this.pos++] = (id >> 8) | 0xe0;
    this.buf[this.pos++] = id & 0xff;
  }

  /** A number exactly as cbor-x 1.6 writes it with its defaults (no float32, no alwaysUseFloat). */
  private num(value: number): void {
    const b = this.buf;
    if (value >>> 0 === value) {
      if (value < 0x18) b[this.pos++] = value;
      else if (value < 0x100) {
        b[this.pos++] = 0x18;
        b[this.pos++] = value;
      } else if (value < 0x10000) {
        b[this.pos++] = 0x19;
        b[this.pos++] = value >> 8;
        b[this.pos++] = value & 0xff;
      } else {
        b[this.pos++] = 0x1a;
        this.dv.setUint32(this.pos, value);
        this.pos += 4;
      }
    } else if (value >> 0 === value) {
      if (value >= -0x18) b[this.pos++] = 0x1f - value;
      else if (value >= -0x100) {
        b[this.pos++] = 0x38;
        b[this.pos++] = ~value;
      } else if (value >= -0x10000) {
        b[this.pos++] = 0x39;
        this.dv.setUint16(this.pos, ~value);
        this.pos += 2;
      } else {
        b[this.pos++] = 0x3a;
        this.dv.setUint32(this.pos, ~value);
        this.pos += 4;
      }
    } else if (value < 0 && value >= -0x100000000 && Math.floor(value) === value) {
      b[this.pos++] = 0x3a;
      this.dv.setUint32(this.pos, -1 - value);
      this.pos += 4;
    } else {
      b[this.pos++] = 0xfb;
      this.dv.setFloat64(this.pos, value);
      this.pos += 8;
    }
  }
}
