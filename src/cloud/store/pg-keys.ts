/** API keys in the PostgreSQL store: only the hash of a key's secret is kept (see ../keys.ts). */
import type pg from 'pg';
import { hashMatches, newKey, parseKey } from '../keys.js';
import type { KeyInfo } from './contract.js';
import { keyInfo, type KeyRow } from './common.js';

export class PgKeys {
  constructor(private readonly pool: pg.Pool) {}

  async create(machine: string | null, label: string): Promise<{ info: KeyInfo; key: string }> {
    const k = newKey();
    const now = Date.now();
    await this.pool.query(
      'INSERT INTO api_keys (id, hash, machine, label, created_ms, revoked_ms) VALUES ($1, $2, $3, $4, $5, NULL)',
      [k.id, k.hash, machine, label, now],
    );
    return { info: { id: k.id, machine, label, created_ms: now, revoked_ms: null }, key: k.key };
  }

  async list(): Promise<KeyInfo[]> {
    return (await this.pool.query<KeyRow>('SELECT * FROM api_keys ORDER BY created_ms')).rows.map(
      keyInfo,
    );
  }

  async revoke(id: string): Promise<boolean> {
    return (
      ((
        await this.pool.query(
          'UPDATE api_keys SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL',
          [Date.now(), id],
        )
      ).rowCount ?? 0) > 0
    );
  }

  async verify(key: string): Promise<KeyInfo | null> {
    const p = parseKey(key);
    if (p === null) return null;
    const row = (await this.pool.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1', [p.id]))
      .rows[0];
    if (row === undefined || row.revoked_ms !== null || !hashMatches(p.secret, row.hash))
      return null;
    return keyInfo(row);
  }

  async byId(id: string): Promise<KeyInfo | null> {
    const row = (await this.pool.query<KeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]))
      .rows[0];
    return row === undefined || row.revoked_ms !== null ? null : keyInfo(row);
  }
}
