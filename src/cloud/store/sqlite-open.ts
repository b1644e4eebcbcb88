/**
 * Opening the embedded cloud store's SQLite file: the durability pragmas (WAL with
 * synchronous=FULL, so an acknowledged ingest survives a power cut), the schema version check and
 * in-place upgrade of older files (sqlite-upgrade.ts), then the current schema.
 */
import type Database from 'better-sqlite3';
import { openSqlite } from './sqlite-driver.js';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { SCHEMA_VERSION, SQLITE_SCHEMA } from './sqlite-schema.js';
import { upgradeSqliteStore } from './sqlite-upgrade.js';

/** Opens (or creates) the store file at `path` with the current schema; throws CLOUD_STORE. */
export function openSqliteStoreDb(path: string): Database.Database {
  let db: Database.Database;
  try {
    db = openSqlite(path);
  } catch (err) {
    throw new WharfError(
      'CLOUD_STORE',
      `cannot open SQLite store ${path}: ${errorMessage(err)}; check the path and its permissions`,
      { cause: err },
    );
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const version = Number(db.pragma('user_version', { simple: true }));
  const hasTables = db
    .prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'records'")
    .get() as { n: number };
  if (hasTables.n > 0 && version >= 2 && version < SCHEMA_VERSION)
    upgradeSqliteStore(db, path, version);
  else if (hasTables.n > 0 && version !== SCHEMA_VERSION) {
    db.close();
    throw new WharfError(
      'CLOUD_STORE',
      `${path} was made by another wharf version (schema ${version}, this one needs ${SCHEMA_VERSION}); export its data with that version or start a new store file`,
    );
  }
  db.exec(SQLITE_SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  return db;
}
