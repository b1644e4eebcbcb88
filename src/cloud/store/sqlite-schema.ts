/**
 * SQLite schema of the cloud store. Times are ms epoch (REAL); JSON columns are TEXT.
 *
 * A record's id is `file seq × 2^21 + record index`: the primary key itself makes (file, record
 * index) unique, so ingest maintains two secondary indexes instead of three (≈ 25% faster).
 *
 * Schema 3: a reading's constant data fields live once in `data_consts` and `records.data` holds
 * the changing ones (see sqlite-data.ts); the `readings` view puts them back together.
 *
 * Schema 4: the per-minute rollup `rollup_1m` and two partial indexes over gap records (see
 * sqlite-rollup.ts); a schema-3 file is upgraded in place and its readings rolled up then.
 *
 * Schema 5: readings that split into varying values and constants are stored by the chunk, not a
 * row each (`chunks`, see sqlite-chunks.ts); `records` keeps gap records, readings of other shapes
 * and every row of an older file, which is upgraded in place without moving them. The `readings`
 * view is both, one row per record as before.
 */
import { SQLITE_ROLLUP_SCHEMA } from './sqlite-rollup.js';
import { CHUNK_READINGS_SELECT, SQLITE_CHUNKS_SCHEMA } from './sqlite-chunks.js';

export const SCHEMA_VERSION = 5;
export const RECORD_INDEX_BITS = 21;
export const MAX_RECORDS_PER_FILE = 2 ** RECORD_INDEX_BITS;

export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  part_id TEXT NOT NULL,
  machine TEXT NOT NULL,
  component_type TEXT NOT NULL,
  component_name TEXT NOT NULL,
  method_name TEXT NOT NULL,
  tags TEXT NOT NULL,
  additional_parameters TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
  seq INTEGER PRIMARY KEY,
  file_id TEXT NOT NULL UNIQUE,
  sha256 TEXT NOT NULL,
  machine TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  records INTEGER NOT NULL,
  received_ms REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
  id INTEGER PRIMARY KEY, -- file seq * 2097152 + record index: unique (file, record index)
  stream_id INTEGER NOT NULL REFERENCES streams(id),
  kind TEXT NOT NULL CHECK (kind IN ('reading', 'gap')),
  time_requested REAL NOT NULL,
  time_received REAL NOT NULL,
  data TEXT NOT NULL, -- the whole data JSON, or (consts not NULL) each reader's first field only
  consts INTEGER -- data_consts.id (schema 3 and 4 only; schema 5 stores such readings by the chunk)
);
CREATE TABLE IF NOT EXISTS data_consts (
  id INTEGER PRIMARY KEY,
  json BLOB NOT NULL UNIQUE -- SQLite JSONB (read with json(json)): the view patches without re-parsing
);
CREATE INDEX IF NOT EXISTS records_time ON records (time_received);
CREATE INDEX IF NOT EXISTS records_stream_time ON records (stream_id, time_received);
${SQLITE_CHUNKS_SCHEMA}
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  machine TEXT,
  label TEXT NOT NULL,
  created_ms REAL NOT NULL,
  revoked_ms REAL
);
CREATE VIEW IF NOT EXISTS readings AS
  SELECT r.id, r.kind, s.part_id, s.machine, s.component_type, s.component_name, s.method_name,
         s.additional_parameters, s.tags, r.time_requested, r.time_received,
         CASE WHEN r.consts IS NULL THEN r.data ELSE json_patch(r.data, c.json) END AS data,
         f.file_id, r.id % 2097152 AS record_index
  FROM records r JOIN streams s ON s.id = r.stream_id JOIN files f ON f.seq = r.id / 2097152
       LEFT JOIN data_consts c ON c.id = r.consts
  UNION ALL ${CHUNK_READINGS_SELECT};
${SQLITE_ROLLUP_SCHEMA}`;

/** Upgrades a schema-2 store in place (one transaction; the rows stay as they are). */
export const SQLITE_MIGRATE_2_TO_3 = `
ALTER TABLE records ADD COLUMN consts INTEGER;
DROP VIEW IF EXISTS readings;
`;
