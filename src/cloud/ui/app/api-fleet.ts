/** The fleet views' API: boards, the config rollout per machine, retention. */
import type { FleetEntry } from '../../api-types.js';
import { ApiError, call } from './api-http.js';
import { num, type Wire } from './api-wire.js';

/** GET /api/v1/fleet rows with times and rates normalised (null when absent). */
export interface Board extends Pick<
  FleetEntry,
  'machine' | 'part_id' | 'component_type' | 'component_name' | 'online' | 'gap_count'
> {
  last_seen: number | null;
  readings_per_min: number | null;
  /** 'last_minute': readings in the minute before last_seen; 'range': the range's average. */
  rate_window?: 'last_minute' | 'range';
  readings: number | null;
}

/** One machine's config rollout: desired (cloud) vs applied (its last report). */
export interface MachineRollout {
  machine: string;
  desired: {
    config_revision: number;
    fragments: { id: string; revision: number }[];
    problems: unknown[];
  } | null;
  applied: {
    status: 'applied' | 'rejected';
    config_revision: number;
    fragments: { id: string; revision: number }[];
    plan_hash: string | null;
    applied_ms: number;
    error: string | null;
  } | null;
  in_sync: boolean;
}

export async function fleet(params: URLSearchParams, signal?: AbortSignal): Promise<Board[]> {
  type WireBoard = Wire<FleetEntry, 'last_seen' | 'readings_per_min' | 'readings' | 'gap_count'>;
  const res = await call<WireBoard[] | { boards?: WireBoard[]; machines?: WireBoard[] }>(
    'GET',
    `/api/v1/fleet?${params}`,
    undefined,
    signal ? { signal } : {},
  );
  const list = Array.isArray(res) ? res : (res.boards ?? res.machines ?? []);
  return list.map((b) => ({
    ...b,
    last_seen: num(b.last_seen),
    readings_per_min: num(b.readings_per_min),
    readings: num(b.readings),
    gap_count: num(b.gap_count) ?? 0,
    online: Boolean(b.online),
  }));
}

/** The fleet config rollout per machine; [] when the cloud has no fleet API. */
export async function fleetMachines(signal?: AbortSignal): Promise<MachineRollout[]> {
  try {
    const res = await call<{ machines?: MachineRollout[] }>(
      'GET',
      '/api/v1/fleet/machines',
      undefined,
      signal ? { signal } : {},
    );
    return res.machines ?? [];
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

export interface RetentionView {
  policies: { machine: string; days: number }[];
  events: { at_ms: number; machine: string; readings: number; gaps: number; images: number }[];
}

/** Retention policies and the newest removals; null when the cloud has no retention API. */
export async function retention(signal?: AbortSignal): Promise<RetentionView | null> {
  try {
    return await call<RetentionView>(
      'GET',
      '/api/v1/retention?limit=100',
      undefined,
      signal ? { signal } : {},
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}
