/**
 * The PostgreSQL fleet store's connection side: the `fleet_` tables (created under an advisory
 * lock, so replicas starting together do not race), the pool (synchronous_commit=on), one
 * transaction helper, and the change counter `seq` every write bumps.
 */
import pg from 'pg';
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fleet_fragments (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms DOUBLE PRECISION NOT NULL,
  head INTEGER NOT NULL, updated_ms DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_fragment_revisions (
  fragment_id TEXT NOT NULL REFERENCES fleet_fragments(id), revision INTEGER NOT NULL,
  config JSONB NOT NULL, created_ms DOUBLE PRECISION NOT NULL, author TEXT,
  PRIMARY KEY (fragment_id, revision));
CREATE TABLE IF NOT EXISTS fleet_fragment_tags (
  fragment_id TEXT NOT NULL REFERENCES fleet_fragments(id), tag TEXT NOT NULL,
  revision INTEGER NOT NULL, updated_ms DOUBLE PRECISION NOT NULL, PRIMARY KEY (fragment_id, tag));
CREATE TABLE IF NOT EXISTS fleet_machine_configs (
  machine TEXT NOT NULL, revision INTEGER NOT NULL, config JSONB NOT NULL,
  updated_ms DOUBLE PRECISION NOT NULL, author TEXT, PRIMARY KEY (machine, revision));
CREATE TABLE IF NOT EXISTS fleet_reports (machine TEXT PRIMARY KEY, report JSONB NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_admins (key_id TEXT PRIMARY KEY, created_ms DOUBLE PRECISION NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_seq (one INTEGER PRIMARY KEY CHECK (one = 1), seq BIGINT NOT NULL);
INSERT INTO fleet_seq VALUES (1, 0) ON CONFLICT DO NOTHING;
`;

export type Client = pg.PoolClient;

/** Runs `fn` in one transaction on a pooled connection (rolled back if it throws). */
export async function fleetTx<T>(pool: pg.Pool, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const out = await fn(c);
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}

/** Inside a write's transaction: other replicas' waiters see the change (`seq()`). */
export function bumpSeq(c: Client): Promise<unknown> {
  return c.query('UPDATE fleet_seq SET seq = seq + 1 WHERE one = 1');
}

/** A pool on the cloud's database with the fleet tables in place; throws CLOUD_STORE. */
export async function openFleetPool(
  config: string | pg.PoolConfig,
  logger: Logger,
): Promise<pg.Pool> {
  const base: pg.PoolConfig =
    typeof config === 'string' ? { connectionString: config } : { ...config };
  const pool = new pg.Pool({
    max: 4,
    ...base,
    options: `${base.options ?? ''} -c synchronous_commit=on`.trim(),
  });
  pool.on('error', (err) =>
    logger.warn({ err: errorMessage(err) }, 'idle PostgreSQL connection failed (fleet)'),
  );
  try {
    await fleetTx(pool, async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(7261837)');
      await c.query(SCHEMA);
    });
  } catch (err) {
    await pool.end();
    throw new WharfError(
      'CLOUD_STORE',
      `cannot open the PostgreSQL fleet tables: ${errorMessage(err)}`,
      { cause: err },
    );
  }
  return pool;
}
