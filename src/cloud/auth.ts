/**
 * Authentication for `/api/*`: `Authorization: Bearer KEY` or the HTTP-only `wharf_session`
 * cookie (`keyId.expiresMs.hmac`, signed with the server's session secret; a revoked key ends its
 * sessions at once). Routes with `config: { public: true }` and everything outside `/api/` skip it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { WharfError } from '../shared/errors.js';
import type { KeyInfo, KeyStore } from './store/contract.js';

export const SESSION_COOKIE = 'wharf_session';
export const SESSION_TTL_MS = 12 * 3600_000;

declare module 'fastify' {
  interface FastifyRequest {
    wharfKey: KeyInfo | null;
  }
  interface FastifyContextConfig {
    public?: boolean;
  }
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name)
      return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export class SessionSigner {
  constructor(private readonly secret: Buffer) {}

  sign(keyId: string, nowMs: number): string {
    const exp = Math.floor(nowMs + SESSION_TTL_MS);
    return `${keyId}.${exp}.${this.mac(`${keyId}.${exp}`)}`;
  }

  /** The key id when the token is genuine and unexpired. */
  verify(token: string, nowMs: number): string | null {
    const m = /^([0-9a-f]{12})\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (m === null) return null;
    const want = Buffer.from(this.mac(`${m[1]}.${m[2]}`));
    const got = Buffer.from(m[3]!);
    if (want.length !== got.length || !timingSafeEqual(want, got)) return null;
    return Number(m[2]) > nowMs ? m[1]! : null;
  }

  private mac(s: string): string {
    return createHmac('sha256', this.secret).update(s).digest('base64url');
  }
}

export function cookieHeader(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m?.[1];
}

export async function authenticate(
  req: FastifyRequest,
  keys: KeyStore,
  signer: SessionSigner,
): Promise<KeyInfo> {
  const key = bearer(req);
  if (key !== undefined) {
    const info = await keys.verifyKey(key);
    if (info === null)
      throw new WharfError(
        'CLOUD_AUTH',
        'the API key is not valid (unknown, revoked or mistyped); create one with `wharf cloud keys create --machine NAME`',
      );
    return info;
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  if (cookie !== undefined) {
    const id = signer.verify(cookie, Date.now());
    const info = id === null ? null : await keys.keyById(id);
    if (info === null)
      throw new WharfError(
        'CLOUD_AUTH',
        'the session has expired or its key was revoked: log in again',
      );
    return info;
  }
  throw new WharfError(
    'CLOUD_AUTH',
    'this route needs an API key: send `Authorization: Bearer KEY` or log in (POST /api/v1/session)',
  );
}

export function authHook(keys: KeyStore, signer: SessionSigner) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    req.wharfKey = null;
    if (!req.url.startsWith('/api/') || req.routeOptions.config?.public === true) return;
    req.wharfKey = await authenticate(req, keys, signer);
  };
}
