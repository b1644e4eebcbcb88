/**
 * Turns a store file written by this version into the layout of schema 4 and before: every
 * reading a row of `records` (varying data + `consts`), no `chunks` table, the old `readings`
 * view. Tests of the in-place upgrades start from it (then go further back as they need).
 */
import type Database from 'better-sqlite3';

export function toRowLayout(db: Database.Database): void {
  db.exec(`
    INSERT INTO records (id, stream_id, kind, time_requested, time_received, data, consts)
      SELECT (c.id / 2097152) * 2097152 + (j.value ->> 0), c.stream_id, 'reading',
             c.t0 + (j.value ->> 1), c.t0 + (j.value ->> 2), json(j.value -> 3), c.consts
      FROM chunks c, jsonb_each(c.data) j;
    DROP VIEW readings;
    DROP TABLE chunks;
    CREATE VIEW readings AS
      SELECT r.id, r.kind, s.part_id, s.machine, s.component_type, s.component_name, s.method_name,
             s.additional_parameters, s.tags, r.time_requested, r.time_received,
             CASE WHEN r.consts IS NULL THEN r.data ELSE json_patch(r.data, c.json) END AS data,
             f.file_id, r.id % 2097152 AS record_index
      FROM records r JOIN streams s ON s.id = r.stream_id JOIN files f ON f.seq = r.id / 2097152
           LEFT JOIN data_consts c ON c.id = r.consts;
    PRAGMA user_version = 4;`);
}
