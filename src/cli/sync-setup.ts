/**
 * Where `wharf status` / `wharf sync now` look: capture dir, interval and target from `--config`
 * (the machine JSON) or the default capture dir; `--dir`, `--url/--key`, `--to-dir` override.
 */
import path from 'node:path';
import { syncIntervalMs } from '../config/plan.js';
import {
  defaultCaptureDir,
  loadConfigFile,
  formatIssue,
  type SyncTargetSettings,
} from '../config/index.js';
import { DATA_MANAGER_DEFAULTS } from '../config/index.js';
import { WharfError } from '../shared/errors.js';

export interface SyncSetup {
  captureDir: string;
  intervalMs: number;
  disabled: boolean;
  target: SyncTargetSettings | null;
}

export interface SyncSetupOptions {
  config?: string;
  dir?: string;
  url?: string;
  key?: string;
  'to-dir'?: string;
}

export async function resolveSyncSetup(
  o: SyncSetupOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<SyncSetup> {
  let s: SyncSetup = {
    captureDir: defaultCaptureDir({ env, baseDir: cwd }),
    intervalMs: syncIntervalMs(DATA_MANAGER_DEFAULTS),
    disabled: false,
    target: null,
  };
  if (o.config !== undefined) {
    const file = path.resolve(cwd, o.config);
    const r = await loadConfigFile(file, { env });
    if (!r.ok) {
      throw new WharfError(
        'CONFIG_INVALID',
        `${o.config} has errors:\n${r.issues.map((i) => formatIssue(i, o.config!)).join('\n')}`,
      );
    }
    s = {
      captureDir: r.plan.dataManager.capture_dir,
      intervalMs: syncIntervalMs(r.plan.dataManager),
      disabled: r.plan.dataManager.sync_disabled,
      target: r.plan.gateway.sync,
    };
  }
  if (o.dir !== undefined) s.captureDir = path.resolve(cwd, o.dir);
  if (o.url !== undefined) {
    const key = o.key ?? env.WHARF_API_KEY;
    if (key === undefined || key === '')
      throw new WharfError('USAGE', 'with --url give --key KEY or set WHARF_API_KEY');
    s.target = { kind: 'cloud', url: o.url, api_key: key };
  }
  if (o['to-dir'] !== undefined) s.target = { kind: 'dir', path: path.resolve(cwd, o['to-dir']) };
  return s;
}
