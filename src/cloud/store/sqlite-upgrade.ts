/**
 * In-place upgrades of an older SQLite cloud store file to the current schema (see sqlite-schema.ts):
 * schema 2 → 3 adds the constants column, 3 → 4 adds the per-minute rollup and rolls up every stored
 * reading. One transaction: a failed upgrade leaves the file as it was.
 */
import type Database from 'better-sqlite3';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { rebuildRollup } from './sqlite-rollup.js';
import { SCHEMA_VERSION, SQLITE_MIGRATE_2_TO_3, SQLITE_SCHEMA } from './sqlite-schema.js';

/** Schema 2 or 3 → 4 in place, in one transaction: a failed upgrade leaves the file as it was. */
export function upgradeSqliteStore(db: Database.Database, path: string, version: number): void {
  const constsById = (): ((id: number) => Record<string, Record<string, unknown>>) => {
    const stmt = db.prepare<[number], { json: string }>(
      'SELECT json(json) AS json FROM data_consts WHERE id = ?',
    );
    const cache = new Map<number, Record<string, Record<string, unknown>>>();
    return (id) => {
      let c = cache.get(id);
      if (c !== undefined) return c;
      const row = stmt.get(id);
      if (row === undefined)
        throw new WharfError(
          'CLOUD_STORE',
          `record data refers to constants ${id}, which are missing from data_consts: the store file is damaged`,
        );
      cache.set(id, (c = JSON.parse(row.json) as Record<string, Record<string, unknown>>));
      return c;
    };
  };
  try {
    db.transaction(() => {
      if (version === 2) db.exec(SQLITE_MIGRATE_2_TO_3);
      db.exec(SQLITE_SCHEMA);
      rebuildRollup(db, constsById());
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  } catch (err) {
    db.close();
    throw new WharfError(
      'CLOUD_STORE',
      `upgrading ${path} from schema ${version} to ${SCHEMA_VERSION} failed, the file is unchanged: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}
