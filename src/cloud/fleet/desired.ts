/**
 * A machine's desired config: its stored config with every fragment resolved at the revision its
 * `version` names (src/config/fragments.ts), identified by an etag. The etag changes exactly when
 * what the gateway should run changes (a new machine revision, a fragment save or tag move that
 * the machine follows, a mod), so gateways long-poll on it.
 */
import { createHash } from 'node:crypto';
import {
  parseVersion,
  resolveMachineDocument,
  type AppliedFragment,
  type FragmentLookup,
  type ResolveProblem,
} from '../../config/fragments.js';
import type { FleetStore } from './contract.js';

export interface DesiredConfig {
  machine: string;
  etag: string;
  config_revision: number;
  /** Fragments at the revisions resolved (empty when resolution failed). */
  fragments: AppliedFragment[];
  /** The resolved machine document, or null when it cannot be resolved (`problems` says why). */
  config: Record<string, unknown> | null;
  problems: ResolveProblem[];
}

export function fragmentLookup(store: FleetStore): FragmentLookup {
  return async (id, version) => {
    const info = await store.fragment(id);
    if (info === null) return { missing: `fragment "${id}" does not exist` };
    const v = parseVersion(version);
    let revision: number;
    if (v === undefined) revision = info.head;
    else if (typeof v === 'number') revision = v;
    else {
      const t = info.tags[v];
      if (t === undefined)
        return {
          missing: `fragment "${id}" has no tag "${v}" (tags: ${Object.keys(info.tags).join(', ') || 'none'})`,
        };
      revision = t;
    }
    const r = await store.revision(id, revision);
    if (r === null)
      return { missing: `fragment "${id}" has no revision ${revision} (latest: ${info.head})` };
    return { id, revision, config: r.config };
  };
}

export async function desiredConfig(
  store: FleetStore,
  machine: string,
): Promise<DesiredConfig | null> {
  const row = await store.machineConfig(machine);
  if (row === null) return null;
  const r = await resolveMachineDocument(row.config, fragmentLookup(store));
  const body = r.ok
    ? { config: r.document, fragments: r.fragments, problems: [] as ResolveProblem[] }
    : { config: null, fragments: [] as AppliedFragment[], problems: r.problems };
  const etag = createHash('sha256')
    .update(JSON.stringify([row.revision, body.fragments, body.config, body.problems]))
    .digest('hex')
    .slice(0, 20);
  return { machine, etag, config_revision: row.revision, ...body };
}
