/** Opens the cloud store named on the command line: `--pg URL` (PostgreSQL) or `--db PATH` (SQLite). */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../shared/logger.js';
import type { CloudStore } from './store/contract.js';
import { PostgresStore } from './store/postgres.js';
import { SqliteStore } from './store/sqlite.js';

export function defaultCloudDb(env: NodeJS.ProcessEnv): string {
  const wh = env.WHARF_HOME;
  return path.join(
    wh !== undefined && wh !== '' ? wh : path.join(env.HOME ?? homedir(), '.wharf'),
    'cloud.db',
  );
}

export async function openCloudStore(o: {
  db?: string;
  pg?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger?: Logger;
}): Promise<CloudStore> {
  const pgUrl = o.pg ?? o.env.WHARF_CLOUD_PG;
  if (pgUrl !== undefined && pgUrl !== '') return PostgresStore.open(pgUrl, o.logger);
  const file = o.db !== undefined ? path.resolve(o.cwd, o.db) : defaultCloudDb(o.env);
  mkdirSync(path.dirname(file), { recursive: true });
  return new SqliteStore(file);
}
