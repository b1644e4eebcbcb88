/** Opens the fleet store beside the cloud store the command line names (same file or database). */
import path from 'node:path';
import type { Logger } from '../../shared/logger.js';
import { defaultCloudDb } from '../open-store.js';
import type { FleetStore } from './contract.js';
import { PostgresFleetStore } from './postgres.js';
import { SqliteFleetStore } from './sqlite.js';

export async function openFleetStore(o: {
  db?: string | undefined;
  pg?: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger?: Logger;
}): Promise<FleetStore> {
  const pgUrl = o.pg ?? o.env.WHARF_CLOUD_PG;
  if (pgUrl !== undefined && pgUrl !== '') return PostgresFleetStore.open(pgUrl, o.logger);
  const file = o.db !== undefined ? path.resolve(o.cwd, o.db) : defaultCloudDb(o.env);
  return new SqliteFleetStore(file);
}
