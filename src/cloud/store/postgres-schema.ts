/**
 * PostgreSQL schema of the cloud store (created under an advisory lock, so replicas may race).
 * The `records` table is partitioned by time (pg-partitions.ts); it has no foreign keys (checking
 * one costs a lookup per row at ingest) and no unique (file, record index): a file's rows are
 * written once, in the transaction that claims its file id.
 */
export const PG_READER_ROLE = 'wharf_sql_reader';

export const PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS streams (
  id BIGSERIAL PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  part_id TEXT NOT NULL,
  machine TEXT NOT NULL,
  component_type TEXT NOT NULL,
  component_name TEXT NOT NULL,
  method_name TEXT NOT NULL,
  tags JSONB NOT NULL,
  additional_parameters JSONB NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
  seq BIGSERIAL PRIMARY KEY,
  file_id TEXT NOT NULL UNIQUE,
  sha256 TEXT NOT NULL,
  machine TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  records INTEGER NOT NULL,
  received_ms DOUBLE PRECISION NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  machine TEXT,
  label TEXT NOT NULL,
  created_ms DOUBLE PRECISION NOT NULL,
  revoked_ms DOUBLE PRECISION
);
`;

/**
 * The view SQL reads; (re)made after `records` exists, so a migrated store's view points at the
 * partitioned table.
 */
export const PG_VIEW_SQL = `
CREATE OR REPLACE VIEW readings AS
  SELECT r.id, r.kind, s.part_id, s.machine, s.component_type, s.component_name, s.method_name,
         s.additional_parameters, s.tags, r.time_requested, r.time_received, r.data,
         f.file_id, r.record_index
  FROM records r JOIN streams s ON s.id = r.stream_id JOIN files f ON f.seq = r.file_seq;
`;

/** A role that may only read the readings view; SQL statements run as it (when it can be made). */
export const PG_READER_SQL = `
DO $$ BEGIN
  CREATE ROLE ${PG_READER_ROLE} NOLOGIN;
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
GRANT USAGE ON SCHEMA public TO ${PG_READER_ROLE};
GRANT SELECT ON readings TO ${PG_READER_ROLE};
`;
