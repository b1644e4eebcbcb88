/**
 * API keys: `wharf_<id>_<secret>`. The id (12 hex) finds the row; only sha256(secret) is stored.
 * The secret is 32 random bytes, so a plain hash is enough (no password stretching needed).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface NewKey {
  id: string;
  key: string;
  hash: string;
}

export function newKey(): NewKey {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `wharf_${id}_${secret}`, hash: hashSecret(secret) };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function parseKey(key: string): { id: string; secret: string } | null {
  const m = /^wharf_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$/.exec(key.trim());
  return m === null ? null : { id: m[1]!, secret: m[2]! };
}

export function hashMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
