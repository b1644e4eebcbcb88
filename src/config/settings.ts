/** data_manager attributes and the `wharf` section → settings with every default filled in. */
import * as os from 'node:os';
import * as path from 'node:path';
import type { DataManagerSettings, GatewaySettings } from './plan.js';
import type { DataManagerAttributes, WharfSection } from './schema.js';
import type { IssueList } from './issues.js';
import { hideUserinfo } from '../shared/secrets.js';

export const DATA_MANAGER_DEFAULTS = {
  sync_interval_mins: 0.1,
  sync_disabled: false,
  capture_disabled: false,
  maximum_capture_file_size_bytes: 256 * 1024,
  disk_usage_deletion_threshold: 0.9,
  capture_dir_deletion_threshold: 0.5,
  delete_every_nth_when_disk_full: 5,
  flush_interval_ms: 1000,
  capture_dir_max_bytes: null,
  maximum_capture_file_age_ms: 60_000,
  disk_budget_interval_ms: 10_000,
} as const;

export const DEFAULT_BROKER = { host: '127.0.0.1', port: 1883 } as const;
export const DEFAULT_HTTP = { host: '127.0.0.1', port: 8787 } as const;

export interface PathContext {
  env: NodeJS.ProcessEnv;
  /** Directory of the config file: relative paths are resolved against it. */
  baseDir: string;
}

function home(env: NodeJS.ProcessEnv): string {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir();
}

/** `~` and `~/x` → the home directory; relative paths → against the config file's directory. */
export function expandPath(p: string, ctx: PathContext): string {
  let out = p;
  if (out === '~') out = home(ctx.env);
  else if (out.startsWith('~/')) out = path.join(home(ctx.env), out.slice(2));
  return path.resolve(ctx.baseDir, out);
}

/** `$WHARF_HOME/capture`, else `~/.wharf/capture`. */
export function defaultCaptureDir(ctx: PathContext): string {
  const wh = ctx.env.WHARF_HOME;
  if (wh !== undefined && wh !== '') return path.join(expandPath(wh, ctx), 'capture');
  return path.join(home(ctx.env), '.wharf', 'capture');
}

export function resolveDataManager(
  attrs: DataManagerAttributes | undefined,
  ctx: PathContext,
): DataManagerSettings {
  const a = attrs ?? {};
  const dir = a.capture_dir;
  return {
    capture_dir:
      dir === undefined || dir.trim() === '' ? defaultCaptureDir(ctx) : expandPath(dir, ctx),
    sync_interval_mins: a.sync_interval_mins ?? DATA_MANAGER_DEFAULTS.sync_interval_mins,
    sync_disabled: a.sync_disabled ?? DATA_MANAGER_DEFAULTS.sync_disabled,
    capture_disabled: a.capture_disabled ?? DATA_MANAGER_DEFAULTS.capture_disabled,
    tags: dedup(a.tags ?? []),
    maximum_capture_file_size_bytes:
      a.maximum_capture_file_size_bytes ?? DATA_MANAGER_DEFAULTS.maximum_capture_file_size_bytes,
    disk_usage_deletion_threshold:
      a.disk_usage_deletion_threshold ?? DATA_MANAGER_DEFAULTS.disk_usage_deletion_threshold,
    capture_dir_deletion_threshold:
      a.capture_dir_deletion_threshold ?? DATA_MANAGER_DEFAULTS.capture_dir_deletion_threshold,
    delete_every_nth_when_disk_full:
      a.delete_every_nth_when_disk_full ?? DATA_MANAGER_DEFAULTS.delete_every_nth_when_disk_full,
    flush_interval_ms: a.flush_interval_ms ?? DATA_MANAGER_DEFAULTS.flush_interval_ms,
    capture_dir_max_bytes: a.capture_dir_max_bytes ?? DATA_MANAGER_DEFAULTS.capture_dir_max_bytes,
    maximum_capture_file_age_ms:
      a.maximum_capture_file_age_ms ?? DATA_MANAGER_DEFAULTS.maximum_capture_file_age_ms,
    disk_budget_interval_ms:
      a.disk_budget_interval_ms ?? DATA_MANAGER_DEFAULTS.disk_budget_interval_ms,
  };
}

export function dedup(items: readonly string[]): string[] {
  return [...new Set(items)];
}

const BROKER_SCHEMES = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:']);

/** The `wharf` section → GatewaySettings. Problems go to `issues` under `wharf.…`. */
export function resolveGateway(
  w: WharfSection | undefined,
  ctx: PathContext,
  issues: IssueList,
): GatewaySettings {
  const out: GatewaySettings = {
    broker: { mode: 'embedded', host: DEFAULT_BROKER.host, port: DEFAULT_BROKER.port },
    sync: null,
    http: { host: DEFAULT_HTTP.host, port: DEFAULT_HTTP.port },
  };
  const b = w?.broker;
  if (b !== undefined) {
    if (b.url !== undefined) {
      if (b.host !== undefined || b.port !== undefined || b.tls !== undefined) {
        issues.error(
          'wharf.broker',
          'both "url" (external broker) and "host"/"port"/"tls" (embedded broker) are set',
          'keep "url" to use an external broker, or remove it to run the embedded one',
        );
      }
      let scheme = '';
      try {
        scheme = new URL(b.url).protocol;
      } catch {
        /* reported below */
      }
      if (!BROKER_SCHEMES.has(scheme)) {
        issues.error(
          'wharf.broker.url',
          `"${hideUserinfo(b.url)}" is not a broker URL`,
          'write e.g. mqtt://mosquitto.local:1883 or mqtts://broker:8883',
        );
      }
      const ext: GatewaySettings['broker'] = { mode: 'external', url: b.url };
      if (b.username !== undefined) ext.username = b.username;
      if (b.password !== undefined) ext.password = b.password;
      out.broker = ext;
    } else {
      if (b.username !== undefined || b.password !== undefined) {
        issues.warn(
          'wharf.broker',
          'username/password are only used with an external broker ("url"); the embedded broker authenticates boards by their remote secret',
        );
      }
      const emb: GatewaySettings['broker'] = {
        mode: 'embedded',
        host: b.host ?? DEFAULT_BROKER.host,
        port: b.port ?? DEFAULT_BROKER.port,
      };
      if (b.tls !== undefined)
        emb.tls = { cert: expandPath(b.tls.cert, ctx), key: expandPath(b.tls.key, ctx) };
      out.broker = emb;
    }
  }
  const s = w?.sync;
  if (s !== undefined && s !== null) {
    if (s.url !== undefined && s.dir !== undefined) {
      issues.error(
        'wharf.sync',
        'both "url" (cloud) and "dir" (a directory) are set',
        'choose one sync target',
      );
    } else if (s.url !== undefined) {
      let ok = false;
      try {
        ok = ['http:', 'https:'].includes(new URL(s.url).protocol);
      } catch {
        ok = false;
      }
      if (!ok)
        issues.error(
          'wharf.sync.url',
          `"${hideUserinfo(s.url)}" is not an http(s) URL`,
          'write the cloud address, e.g. http://cloud.local:8080',
        );
      const key = nonEmpty(ctx.env.WHARF_API_KEY) ?? nonEmpty(s.api_key);
      if (key === undefined) {
        issues.error(
          'wharf.sync',
          'a cloud sync target needs an API key',
          'set "api_key" here or the WHARF_API_KEY environment variable (create one with: wharf cloud keys create)',
        );
      }
      out.sync = { kind: 'cloud', url: s.url, api_key: key ?? '' };
    } else if (s.dir !== undefined) {
      out.sync = { kind: 'dir', path: expandPath(s.dir, ctx) };
    } else {
      issues.error(
        'wharf.sync',
        'a sync target needs "url" (cloud) or "dir" (a directory)',
        'e.g. "sync": {"url": "http://cloud:8080"} or "sync": {"dir": "/mnt/usb/wharf"}; omit "sync" to keep files on disk',
      );
    }
  }
  if (w?.http === null || w?.http === false) out.http = null;
  else if (w?.http !== undefined)
    out.http = { host: w.http.host ?? DEFAULT_HTTP.host, port: w.http.port ?? DEFAULT_HTTP.port };
  const sc = w?.serve_cameras;
  if (sc !== undefined && sc !== null) {
    const secret = nonEmpty(ctx.env.WHARF_CAMERA_SECRET) ?? nonEmpty(sc.secret);
    if (secret === undefined)
      issues.error(
        'wharf.serve_cameras.secret',
        'serving cameras to other gateways needs a secret',
        'set "secret" here (or WHARF_CAMERA_SECRET) and the same secret on the remote that names this gateway',
      );
    else {
      out.serve_cameras = { secret };
      if (out.http === null)
        issues.warn(
          'wharf.serve_cameras',
          'serve_cameras needs the HTTP listener, which is off ("http": null): no camera is served',
          'set "wharf": {"http": {"host": "0.0.0.0", "port": 8787}}',
        );
    }
  }
  return out;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
