/**
 * Readings stored by the chunk (SQLite schema 5). A row per reading cost ≈ 1.6 µs of SQLite work
 * (the row, two indexes, the WAL), more than the whole ingest may cost (docs/benchmarks.md). So
 * the readings of one file and stream that split into varying values and constants
 * (sqlite-data.ts) are stored as one `chunks` row per run of up to CHUNK_MAX_READINGS readings
 * whose times received lie within CHUNK_SPAN_MS of each other:
 *
 *   data = [[index, time_requested − t0, time_received − t0, {varying}], …]   (SQLite JSONB)
 *
 * `index` is the record's index in its file, so a reading keeps its id (file seq × 2^21 + index)
 * and a chunk may lose readings from any place (retention) without renumbering the rest. Times are
 * kept as differences to the chunk's `t0` (the first reading's time received): short numbers, a
 * third of the text of whole epoch times. Each is exact: a reading goes in only if `t0 + (t − t0)`
 * gives back exactly `t` in IEEE doubles (always, by Sterbenz's lemma, for times within a factor of
 * two of t0, i.e. any two real timestamps), which is the same sum SQLite and JavaScript compute when
 * reading it; a reading for which it does not hold is stored as a row instead. `t_first`
 * and `t_last` bound the chunk's times received; the span limit is a CHECK of the table, and it is
 * what lets a time-ordered read find every chunk that can hold a time ≥ T by an index range
 * (t_first ≥ T − span). Gap records, images of another shape and data that does not split stay a
 * row each in `records`; the `readings` view and the reads (sqlite-read.ts) put both together.
 *
 * `data` is built here as JSON text and stored as SQLite's binary JSON (`jsonb(?)`, 17 % smaller):
 * the view expands it with `jsonb_each`, whose elements `->>` then reads without parsing text
 * again (4–6× faster SQL than JSON text, docs/benchmarks.md); the reads take it back as text
 * (`json(data)`) for JSON.parse.
 */
import type Database from 'better-sqlite3';
import { WharfError } from '../../shared/errors.js';
import { mergeConsts } from './sqlite-data.js';

/** Largest t_last − t_first of a chunk, ms. Part of the stored format: changing it needs a new schema. */
export const CHUNK_SPAN_MS = 60_000;
/** Readings per chunk at most: a page parses a whole chunk for any reading of it (docs/benchmarks.md). */
export const CHUNK_MAX_READINGS = 250;
/** A chunk ends once its text is this long (readings with long text values make few per chunk). */
export const CHUNK_MAX_CHARS = 64 * 1024;

export const SQLITE_CHUNKS_SCHEMA = `
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY, -- the id of its first reading
  stream_id INTEGER NOT NULL REFERENCES streams(id),
  n INTEGER NOT NULL CHECK (n > 0),
  t0 REAL NOT NULL, -- the element times are differences to it
  t_first REAL NOT NULL,
  t_last REAL NOT NULL CHECK (t_last >= t_first AND t_last - t_first <= ${CHUNK_SPAN_MS}),
  data BLOB NOT NULL, -- JSONB of [[record index, time_requested − t0, time_received − t0, varying data], …]
  consts INTEGER NOT NULL -- data_consts.id
);
CREATE INDEX IF NOT EXISTS chunks_time ON chunks (t_first);
CREATE INDEX IF NOT EXISTS chunks_stream_time ON chunks (stream_id, t_first);
CREATE INDEX IF NOT EXISTS chunks_stream_last ON chunks (stream_id, t_last);`;

/** The chunked readings as rows of the `readings` view (columns as the records part of it). */
export const CHUNK_READINGS_SELECT = `
  SELECT (c.id / 2097152) * 2097152 + (j.value ->> 0) AS id, 'reading' AS kind, s.part_id,
         s.machine, s.component_type, s.component_name, s.method_name, s.additional_parameters,
         s.tags, c.t0 + (j.value ->> 1) AS time_requested, c.t0 + (j.value ->> 2) AS time_received,
         json_patch(j.value -> 3, k.json) AS data, f.file_id, j.value ->> 0 AS record_index
  FROM chunks c JOIN jsonb_each(c.data) j JOIN streams s ON s.id = c.stream_id
       JOIN files f ON f.seq = c.id / 2097152 JOIN data_consts k ON k.id = c.consts`;

/** One stored chunk element: record index, time requested − t0, time received − t0, varying data. */
export type ChunkElement = [number, number, number, Record<string, Record<string, unknown>>];

/**
 * Collects the chunkable readings of one file and stream, in record order, and writes a chunk
 * whenever the next reading has other constants, would stretch the span past CHUNK_SPAN_MS or
 * the chunk is full (CHUNK_MAX_READINGS, CHUNK_MAX_CHARS). Gap records between readings do not
 * end a chunk (each element carries its own record index). Call `flush` at the end of the file.
 */
export class ChunkWriter {
  private readonly insert;
  private base = 0;
  private streamId = 0;
  private first = -1;
  private n = 0;
  private consts = 0;
  private t0 = 0;
  private tFirst = 0;
  private tLast = 0;
  private text = '';

  constructor(db: Database.Database) {
    this.insert = db.prepare(
      'INSERT INTO chunks (id, stream_id, n, t0, t_first, t_last, data, consts) VALUES (?, ?, ?, ?, ?, ?, jsonb(?), ?)',
    );
  }

  /**
   * Starts a file: `base` is its first record id (seq × 2^21). Drops whatever a file that failed
   * half-way left unwritten (its savepoint is rolled back; nothing of it may reach another file's).
   */
  file(base: number, streamId: number): void {
    this.first = -1;
    this.text = '';
    this.base = base;
    this.streamId = streamId;
  }

  /** False when the reading's times cannot be kept exactly as differences: store it as a row. */
  add(index: number, tReq: number, tRec: number, varying: string, consts: number): boolean {
    if (this.first >= 0) {
      const lo = tRec < this.tFirst ? tRec : this.tFirst;
      const hi = tRec > this.tLast ? tRec : this.tLast;
      const t0 = this.t0;
      const dq = tReq - t0;
      const dr = tRec - t0;
      if (
        consts === this.consts &&
        hi - lo <= CHUNK_SPAN_MS &&
        this.n < CHUNK_MAX_READINGS &&
        this.text.length < CHUNK_MAX_CHARS &&
        t0 + dq === tReq &&
        t0 + dr === tRec
      ) {
        this.text += `,[${index},${dq},${dr},${varying}]`;
        this.tFirst = lo;
        this.tLast = hi;
        this.n++;
        return true;
      }
      this.flush();
    }
    const dq = tReq - tRec;
    if (tRec + dq !== tReq) return false;
    this.first = index;
    this.n = 1;
    this.consts = consts;
    this.t0 = tRec;
    this.tFirst = tRec;
    this.tLast = tRec;
    this.text = `[[${index},${dq},0,${varying}]`;
    return true;
  }

  flush(): void {
    if (this.first < 0) return;
    this.insert.run(
      this.base + this.first,
      this.streamId,
      this.n,
      this.t0,
      this.tFirst,
      this.tLast,
      `${this.text}]`,
      this.consts,
    );
    this.first = -1;
    this.text = '';
  }
}

/** Constant data fields by id, parsed and cached (ids are never reused, so entries stay valid). */
export class ConstsCache {
  private readonly byId;
  private readonly cache = new Map<number, Record<string, Record<string, unknown>>>();

  constructor(db: Database.Database) {
    this.byId = db.prepare<[number], { json: string }>(
      'SELECT json(json) AS json FROM data_consts WHERE id = ?',
    );
  }

  get(id: number): Record<string, Record<string, unknown>> {
    let c = this.cache.get(id);
    if (c === undefined) {
      const row = this.byId.get(id);
      if (row === undefined)
        throw new WharfError(
          'CLOUD_STORE',
          `reading data refers to constants ${id}, which are missing from data_consts: the store file is damaged`,
        );
      c = JSON.parse(row.json) as Record<string, Record<string, unknown>>;
      this.cache.set(id, c);
    }
    return c;
  }
}

/** A chunk's row without its text, as a read walks the chunks. */
export interface ChunkBounds {
  id: number;
  stream_id: number;
  t0: number;
  t_first: number;
  t_last: number;
  consts: number;
}

/** A chunk's readings that `keep` selects, each with its record id and whole data. */
export function expandChunk(
  c: Pick<ChunkBounds, 'id' | 't0' | 'consts'>,
  data: string,
  consts: ConstsCache,
  keep: (tRec: number, id: number) => boolean,
): { id: number; time_requested: number; time_received: number; data: Record<string, unknown> }[] {
  const base = c.id - (c.id % 2097152);
  const out = [];
  let els: ChunkElement[];
  try {
    els = JSON.parse(data) as ChunkElement[];
  } catch (err) {
    throw new WharfError(
      'CLOUD_STORE',
      `chunk ${c.id} is not valid JSON: the store file is damaged`,
      {
        cause: err,
      },
    );
  }
  const k = consts.get(c.consts);
  for (const e of els) {
    const id = base + e[0];
    const t = c.t0 + e[2];
    if (!keep(t, id)) continue;
    out.push({ id, time_requested: c.t0 + e[1], time_received: t, data: mergeConsts(e[3], k) });
  }
  return out;
}

/** Chunks deleted or cut per call of `cutChunks` (each holds up to CHUNK_MAX_READINGS readings). */
const CUT_BATCH = 200;

/**
 * Retention: removes the chunked readings of `streamIds` received before `cutoff`, at most
 * CUT_BATCH chunks per call (call inside a transaction, again while it returns `more`). Whole
 * chunks before the cutoff are deleted; a chunk reaching over it keeps the readings from the
 * cutoff on, with their ids, and its t_first/t_last narrowed to them.
 */
export function cutChunks(
  db: Database.Database,
  streamIds: readonly number[],
  cutoff: number,
): { readings: number; more: boolean } {
  const inIds = `(${streamIds.map(Number).join(',')})`;
  const whole = db
    .prepare<[number], { n: number }>(
      `DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE stream_id IN ${inIds} AND t_last < ? LIMIT ${CUT_BATCH}) RETURNING n`,
    )
    .all(cutoff);
  let readings = whole.reduce((sum, r) => sum + r.n, 0);
  if (whole.length === CUT_BATCH) return { readings, more: true };
  const over = db
    .prepare<[number, number], { id: number; n: number; t0: number; data: string }>(
      `SELECT id, n, t0, json(data) AS data FROM chunks WHERE stream_id IN ${inIds} AND t_first < ? AND t_last >= ? LIMIT ${CUT_BATCH}`,
    )
    .all(cutoff, cutoff);
  const update = db.prepare(
    'UPDATE chunks SET n = ?, t_first = ?, t_last = ?, data = jsonb(?) WHERE id = ?',
  );
  for (const c of over) {
    const kept = (JSON.parse(c.data) as ChunkElement[]).filter((e) => c.t0 + e[2] >= cutoff);
    const times = kept.map((e) => c.t0 + e[2]);
    update.run(kept.length, Math.min(...times), Math.max(...times), JSON.stringify(kept), c.id);
    readings += c.n - kept.length;
  }
  return { readings, more: over.length === CUT_BATCH };
}
