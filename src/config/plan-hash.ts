/**
 * A short, stable hash of a capture plan's effective content (machine, data manager settings,
 * boards without their secrets, entries by key). Two gateways with the same hash capture the same
 * things at the same rates; a gateway reports it so a rollout can be checked (`wharf cloud machines`).
 */
import { createHash } from 'node:crypto';
import type { CapturePlan } from './plan.js';

function canonical(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(canonical);
  if (typeof x === 'object' && x !== null) {
    const o = x as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, canonical(o[k])]),
    );
  }
  return x;
}

export function planHash(plan: CapturePlan): string {
  const body = {
    machine: plan.machine,
    part_id: plan.part_id,
    dataManager: plan.dataManager,
    boards: plan.boards
      .map(({ secret: _secret, ...b }) => b)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    entries: [...plan.entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  };
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex')
    .slice(0, 16);
}
