/** The PostgreSQL schema before time partitioning (commit e493b87), to test the migration. */
export const PG_SCHEMA_V1 = `
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
CREATE TABLE IF NOT EXISTS records (
  id BIGSERIAL PRIMARY KEY,
  file_seq BIGINT NOT NULL REFERENCES files(seq),
  record_index INTEGER NOT NULL,
  stream_id BIGINT NOT NULL REFERENCES streams(id),
  kind TEXT NOT NULL CHECK (kind IN ('reading', 'gap')),
  time_requested DOUBLE PRECISION NOT NULL,
  time_received DOUBLE PRECISION NOT NULL,
  data JSON NOT NULL,
  UNIQUE (file_seq, record_index)
);
CREATE INDEX IF NOT EXISTS records_time ON records (time_received, id);
CREATE INDEX IF NOT EXISTS records_stream_time ON records (stream_id, time_received, id);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  machine TEXT,
  label TEXT NOT NULL,
  created_ms DOUBLE PRECISION NOT NULL,
  revoked_ms DOUBLE PRECISION
);
CREATE OR REPLACE VIEW readings AS
  SELECT r.id, r.kind, s.part_id, s.machine, s.component_type, s.component_name, s.method_name,
         s.additional_parameters, s.tags, r.time_requested, r.time_received, r.data,
         f.file_id, r.record_index
  FROM records r JOIN streams s ON s.id = r.stream_id JOIN files f ON f.seq = r.file_seq;
CREATE TABLE IF NOT EXISTS image_blobs (
  sha256 TEXT PRIMARY KEY,
  bytes BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
  id BIGINT PRIMARY KEY REFERENCES records(id), -- the image reading's record id
  stream_id BIGINT NOT NULL REFERENCES streams(id),
  time_requested DOUBLE PRECISION NOT NULL,
  time_received DOUBLE PRECISION NOT NULL,
  mime_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL REFERENCES image_blobs(sha256)
);
CREATE INDEX IF NOT EXISTS images_time ON images (time_received, id);
CREATE INDEX IF NOT EXISTS images_stream_time ON images (stream_id, time_received, id);
`;
