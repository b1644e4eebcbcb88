/** PostgreSQL fleet rows as the FleetStore contract returns them (numbers may arrive as strings). */
import type { FragmentRevision, MachineConfigRow } from './contract.js';

export interface PgRev {
  fragment_id: string;
  revision: number;
  config: Record<string, unknown>;
  created_ms: number;
  author: string | null;
}

export function rev(r: PgRev): FragmentRevision {
  return {
    fragment_id: r.fragment_id,
    revision: Number(r.revision),
    config: r.config,
    created_ms: Number(r.created_ms),
    author: r.author,
  };
}

export interface PgMach {
  machine: string;
  revision: number;
  config: Record<string, unknown>;
  updated_ms: number;
  author: string | null;
}

export function mach(r: PgMach): MachineConfigRow {
  return {
    machine: r.machine,
    revision: Number(r.revision),
    config: r.config,
    updated_ms: Number(r.updated_ms),
    author: r.author,
  };
}
