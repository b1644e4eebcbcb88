/**
 * The cloud config on the gateway's disk: where it is cached (the last config the gateway
 * accepted, for a boot while the cloud is down), how it becomes a plan (with the cloud defaults),
 * and a local file that only points at the cloud. See src/app/cloud-config.ts.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DesiredConfig } from '../cloud/fleet/desired.js';
import { parseConfig, type LoadResult } from '../config/index.js';
import { parseJsonc } from '../config/jsonc.js';
import { WharfError } from '../shared/errors.js';

export const LONG_POLL_MS = 25_000;

export interface CloudSource {
  url: string;
  key: string;
  machine: string;
  /** Where the last good config is kept (default $WHARF_HOME/fleet/<machine>.json). */
  cacheFile: string;
  env: NodeJS.ProcessEnv;
}

/** What is cached and what the follower tracks: a desired config the gateway accepted. */
export type CachedConfig = Pick<
  DesiredConfig,
  'machine' | 'etag' | 'config_revision' | 'fragments'
> & { config: Record<string, unknown>; saved_ms: number };

export function defaultCacheFile(env: NodeJS.ProcessEnv, machine: string): string {
  const home =
    env.WHARF_HOME !== undefined && env.WHARF_HOME !== ''
      ? env.WHARF_HOME
      : path.join(env.HOME ?? os.homedir(), '.wharf');
  return path.join(path.resolve(home), 'fleet', `${machine.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

export async function readCache(file: string): Promise<CachedConfig | null> {
  try {
    const c = JSON.parse(await fsp.readFile(file, 'utf8')) as CachedConfig;
    return typeof c.etag === 'string' && typeof c.config === 'object' ? c : null;
  } catch {
    return null;
  }
}

/** Temp file, fsync, rename, fsync the directory: the cache is the old one or the new one. */
export async function writeCache(file: string, c: CachedConfig): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o600); // the config holds board secrets
  try {
    await fh.writeFile(JSON.stringify(c, null, 2));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  const dir = await fsp.open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The cloud's document → a plan, with the cloud defaults (machine name, sync to this cloud). */
export function planFromCloud(config: Record<string, unknown>, src: CloudSource): LoadResult {
  const doc = structuredClone(config);
  const w =
    typeof doc.wharf === 'object' && doc.wharf !== null && !Array.isArray(doc.wharf)
      ? (doc.wharf as Record<string, unknown>)
      : {};
  doc.wharf = {
    machine: src.machine,
    ...w,
    ...(w.sync === undefined ? { sync: { url: src.url, api_key: src.key } } : {}),
  };
  return parseConfig(JSON.stringify(doc), { sourcePath: src.cacheFile, env: src.env });
}

/**
 * A local file may point at the cloud instead of holding the config:
 * `{"wharf": {"cloud": {"url": "http://cloud:8080", "machine": "line-3", "api_key": "…"}}}`
 * (`api_key` optional: WHARF_API_KEY wins). Returns undefined when the file has no `wharf.cloud`.
 */
export async function cloudPointer(
  file: string,
): Promise<{ url: string; machine: string; api_key?: string; cache?: string } | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch {
    return undefined; // the normal load reports it
  }
  const r = parseJsonc(text);
  if (!r.ok) return undefined;
  const w = (r.value as { wharf?: { cloud?: unknown } } | null)?.wharf?.cloud;
  if (w === undefined) return undefined;
  const c = w as Record<string, unknown>;
  if (typeof c.url !== 'string' || typeof c.machine !== 'string')
    throw new WharfError(
      'CONFIG_INVALID',
      `${file}: wharf.cloud needs "url" and "machine" (e.g. {"url": "http://cloud:8080", "machine": "line-3"})`,
    );
  return {
    url: c.url,
    machine: c.machine,
    ...(typeof c.api_key === 'string' ? { api_key: c.api_key } : {}),
    ...(typeof c.cache === 'string' ? { cache: path.resolve(path.dirname(file), c.cache) } : {}),
  };
}
