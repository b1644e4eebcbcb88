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

/**
 * What keeps a statement inside the reader role. `SET LOCAL ROLE` is undone from inside a SELECT
 * by `set_config('role', 'none', true)` (or `'session_authorization'`): the permission to set a
 * role is checked against the *session* user, the one wharf logged in as, so the statement would
 * then run with all of its rights (superuser: every table, pg_read_file, ...), also from dynamic
 * SQL such as `query_to_xml('…')`. set_config is the only function that changes a setting, so in
 * this database only its owner, superusers and the user wharf connects as may call it (the grant
 * is per database; it needs a superuser, `PG_READER_CONTAINED` checks that it holds).
 */
export const PG_READER_CONTAIN_SQL = `
REVOKE EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_catalog.set_config(text, text, boolean) TO CURRENT_USER;
`;

/** True when the reader role cannot call set_config (so it cannot leave the role). */
export const PG_READER_CONTAINED = `SELECT NOT has_function_privilege('${PG_READER_ROLE}', 'pg_catalog.set_config(text, text, boolean)', 'EXECUTE') AS contained`;
