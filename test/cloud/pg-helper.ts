/**
 * Throwaway PostgreSQL databases on the local server (socket /var/run/postgresql). Connects as
 * $PGUSER, `postgres`, or the OS user, whichever the server's peer auth accepts. Without a
 * server: loud skip locally, failure under CI (like requireTool).
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { findTool, requireTool } from '../helpers/system-tool.js';

const HOST = process.env.PGHOST ?? '/var/run/postgresql';

async function tryUser(user: string): Promise<boolean> {
  const c = new pg.Client({
    host: HOST,
    user,
    database: 'postgres',
    connectionTimeoutMillis: 3000,
  });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

let cachedUser: string | null | undefined;

/** The user that can connect, or null (after a loud skip; throws under CI). */
export async function pgUser(): Promise<string | null> {
  if (cachedUser !== undefined) return cachedUser;
  if (!requireTool('psql', 'PostgreSQL cloud store tests need a local PostgreSQL server'))
    return (cachedUser = null);
  const candidates = [process.env.PGUSER, 'postgres', userInfo().username].filter(
    (u): u is string => typeof u === 'string' && u !== '',
  );
  for (const u of candidates) if (await tryUser(u)) return (cachedUser = u);
  // Peer auth maps OS user → role. As root (CI containers) there is no role "root" on a fresh
  // server: make one, the way `su postgres -c "createuser -s root"` would by hand.
  const me = userInfo().username;
  if (process.getuid?.() === 0 && findTool('su') !== null) {
    try {
      execFileSync('su', ['postgres', '-c', `createuser --superuser ${me}`], { stdio: 'pipe' });
      process.stderr.write(
        `wharf tests: created PostgreSQL role '${me}' for peer authentication\n`,
      );
    } catch {
      // exists already, or su/createuser unavailable: the retry below says so
    }
    if (await tryUser(me)) return (cachedUser = me);
  }
  const msg = `wharf tests: cannot connect to PostgreSQL on ${HOST} as any of ${candidates.join(', ')} (peer auth). As root: su postgres -c "createuser -s $(whoami)"`;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`${msg} [required under CI]`);
  process.stderr.write(`\n!!! SKIPPING: ${msg}\n\n`);
  return (cachedUser = null);
}

export interface TestDb {
  config: pg.PoolConfig;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDb(user: string): Promise<TestDb> {
  const name = `wharf_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ host: HOST, user, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    config: { host: HOST, user, database: name },
    url: `postgres://${encodeURIComponent(user)}@${encodeURIComponent(HOST)}/${name}`,
    async drop() {
      const a = new pg.Client({ host: HOST, user, database: 'postgres' });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
