/** API keys in the SQLite store: only the hash of a key's secret is kept (see ../keys.ts). */
import type Database from 'better-sqlite3';
import { hashMatches, newKey, parseKey } from '../keys.js';
import type { KeyInfo } from './contract.js';
import { keyInfo, type KeyRow } from './common.js';

export class SqliteKeys {
  private readonly stmts;

  constructor(db: Database.Database) {
    this.stmts = {
      insertKey: db.prepare(
        'INSERT INTO api_keys (id, hash, machine, label, created_ms, revoked_ms) VALUES (?, ?, ?, ?, ?, NULL)',
      ),
      keyById: db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE id = ?'),
      allKeys: db.prepare<[], KeyRow>('SELECT * FROM api_keys ORDER BY created_ms'),
      revokeKey: db.prepare(
        'UPDATE api_keys SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL',
      ),
    };
  }

  create(machine: string | null, label: string): { info: KeyInfo; key: string } {
    const k = newKey();
    const now = Date.now();
    this.stmts.insertKey.run(k.id, k.hash, machine, label, now);
    return { info: { id: k.id, machine, label, created_ms: now, revoked_ms: null }, key: k.key };
  }

  list(): KeyInfo[] {
    return this.stmts.allKeys.all().map(keyInfo);
  }

  revoke(id: string): boolean {
    return this.stmts.revokeKey.run(Date.now(), id).changes > 0;
  }

  verify(key: string): KeyInfo | null {
    const p = parseKey(key);
    if (p === null) return null;
    const row = this.stmts.keyById.get(p.id);
    if (row === undefined || row.revoked_ms !== null || !hashMatches(p.secret, row.hash))
      return null;
    return keyInfo(row);
  }

  byId(id: string): KeyInfo | null {
    const row = this.stmts.keyById.get(id);
    return row === undefined || row.revoked_ms !== null ? null : keyInfo(row);
  }
}
