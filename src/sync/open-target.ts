/** Builds the sync target from the plan's `wharf.sync` setting (`plan.gateway.sync`). */
import type { SyncTargetSettings } from '../config/plan.js';
import { DirSyncTarget } from './dir-target.js';
import { HttpSyncTarget } from './http-target.js';
import type { SyncTarget } from './target.js';

export function openSyncTarget(
  s: SyncTargetSettings | null,
  env: NodeJS.ProcessEnv = process.env,
): SyncTarget | null {
  if (s === null) return null;
  if (s.kind === 'dir') return new DirSyncTarget(s.path);
  return new HttpSyncTarget({ url: s.url, apiKey: env.WHARF_API_KEY ?? s.api_key });
}
