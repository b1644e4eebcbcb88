/**
 * Authentication, per route and deny by default: every route the router knows gets a key check in
 * its own `onRequest` hook (see `routeAuth`), whatever spelling of the path reached it, unless the
 * route declares `config: { public: true }`. A key is `Authorization: Bearer KEY` or the HTTP-only
 * `wharf_session` cookie (`keyId.expiresMs.hmac`, signed with the server's session secret; a
 * revoked key ends its sessions at once). Routes with `config: { upload: true }` also need a
 * machine key (not read-only) and the declared content type, all checked before the body is read.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { WharfError } from '../shared/errors.js';
import type { KeyInfo, KeyStore } from './store/contract.js';

export const SESSION_COOKIE = 'wharf_session';
export const SESSION_TTL_MS = 12 * 3600_000;

declare module 'fastify' {
  interface FastifyRequest {
    wharfKey: KeyInfo | null;
  }
  interface FastifyContextConfig {
    /** No key needed (health, login, the UI shell). Everything else needs one. */
    public?: boolean;
    /** An upload: needs a machine key, checked with the content type before the body is read. */
    upload?: { contentType: string };
    /**
     * A machine key may use this route (the route checks which machine itself). Machine keys live
     * on gateways: on every other route they are refused (403), so a key taken from a Pi reads
     * no data, images or SQL, of its own machine or any other.
     */
    machineKey?: true;
  }
}

/** `key`: any read-only or admin key; `machine`: also a machine key; `upload`: a machine key only. */
export type RouteAccess = 'public' | 'key' | 'machine' | 'upload';

export interface RouteEntry {
  method: string;
  url: string;
  access: RouteAccess;
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw; // malformed %-escapes: left as is, so it fails verification (401), not a 500
      }
    }
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

/** The optional `x-wharf-machine` header of an upload: refused early when it is not the key's. */
function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The fastify `onRoute` hook that makes every route deny by default: a route gets the key check
 * (and, for uploads, the write permission and content type checks) as its first `onRequest` hook,
 * so the check runs on what the router matched, before the body is read. `routes` collects what
 * was registered and how it is guarded.
 */
export function routeAuth(
  keys: KeyStore,
  signer: SessionSigner,
  routes: RouteEntry[],
): (route: RouteOptions) => void {
  const needKey: onRequestHookHandler = async (req) => {
    const key = await authenticate(req, keys, signer);
    req.wharfKey = key;
    if (key.machine !== null)
      throw new WharfError(
        'CLOUD_FORBIDDEN',
        `key ${key.id} is machine '${key.machine}''s key: it uploads that machine's data and reads its config, nothing else; to read data use a read-only key ('wharf cloud keys create --read-only')`,
      );
  };
  const needAnyKey: onRequestHookHandler = async (req) => {
    req.wharfKey = await authenticate(req, keys, signer);
  };
  const needUploadKey = (contentType: string): onRequestHookHandler =>
    async function (req) {
      const key = await authenticate(req, keys, signer);
      req.wharfKey = key;
      if (key.machine === null)
        throw new WharfError(
          'CLOUD_FORBIDDEN',
          `key ${key.id} is read-only: uploads need a machine key ('wharf cloud keys create --machine NAME')`,
        );
      const machine = headerValue(req.headers['x-wharf-machine']);
      if (machine !== undefined && machine !== key.machine)
        throw new WharfError(
          'CLOUD_FORBIDDEN',
          `key ${key.id} belongs to machine '${key.machine}' and cannot upload data of machine '${machine.slice(0, 100)}'`,
          { details: { reason: 'other_machine' } },
        );
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== contentType)
        throw new WharfError(
          'CLOUD_UNSUPPORTED_MEDIA',
          `send the body with content-type ${contentType} (got '${type.slice(0, 60) || 'none'}')`,
        );
    };
  return (route) => {
    const cfg = route.config;
    const access: RouteAccess =
      cfg?.public === true
        ? 'public'
        : cfg?.upload !== undefined
          ? 'upload'
          : cfg?.machineKey === true
            ? 'machine'
            : 'key';
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) routes.push({ method: m, url: route.url, access });
    if (access === 'public') return;
    const guard =
      access === 'upload'
        ? needUploadKey(cfg!.upload!.contentType)
        : access === 'machine'
          ? needAnyKey
          : needKey;
    const own = route.onRequest;
    route.onRequest = [guard, ...(own === undefined ? [] : Array.isArray(own) ? own : [own])];
  };
}
