/**
 * In-place upgrades of an older SQLite cloud store file to the current schema (see sqlite-schema.ts):
 * schema 2 → 3 adds the constants column, 3 → 4 adds the per-minute rollup and rolls up every stored
 * reading, 4 → 5 adds the chunk table and the `readings` view over both (stored rows stay where
 * they are). One transaction: a failed upgrade leaves the file as it was.
 */
import type Database from 'better-sqlite3';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { rebuildRollup } from './sqlite-rollup.js';
import { ConstsCache } from './sqlite-chunks.js';
import { SCHEMA_VERSION, SQLITE_MIGRATE_2_TO_3, SQLITE_SCHEMA } from './sqlite-schema.js';

/** Schema 2, 3 or 4 → 5 in place, in one transaction: a failed upgrade leaves the file as it was. */
export function upgradeSqliteStore(db: Database.Database, path: string, version: number): void {
  try {
    db.transaction(() => {
      if (version === 2) db.exec(SQLITE_MIGRATE_2_TO_3);
      db.exec('DROP VIEW IF EXISTS readings;'); // made again by SQLITE_SCHEMA, over records and chunks
      db.exec(SQLITE_SCHEMA);
      if (version < 4) rebuildRollup(db, new ConstsCache(db));
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
