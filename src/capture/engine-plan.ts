/**
 * What a plan asks the capture engine (engine.ts) to run: the entries it captures, each with the
 * meta its records carry and a fingerprint (a changed fingerprint restarts the collector), and the
 * ones it skips with why (cameras, gateway sensors, unsupported methods, rate 0, unknown boards).
 */
import { cameraOf, type BoardSpec, type CapturePlan, type PlanEntry } from '../config/plan.js';
import type { CaptureMeta } from '../shared/record.js';
import { boardMethod } from './collector.js';

export interface Desired {
  entry: PlanEntry;
  meta: CaptureMeta;
  fingerprint: string;
}

export function metaFor(plan: CapturePlan, e: PlanEntry): CaptureMeta {
  return {
    part_id: plan.part_id,
    machine: plan.machine,
    component_type: e.component_type,
    component_name: e.component_name,
    method_name: e.method,
    additional_parameters: e.additional_params,
    tags: e.tags,
  };
}

export function boardFingerprint(b: BoardSpec): string {
  return JSON.stringify([b.address, b.transport, b.secret ?? null, b.components]);
}

export function desiredEntries(
  plan: CapturePlan,
  skipped: { key: string; why: string }[],
): Map<string, Desired> {
  const out = new Map<string, Desired>();
  if (plan.dataManager.capture_disabled) return out;
  const boards = new Set(plan.boards.map((b) => b.id));
  for (const e of plan.entries) {
    if (cameraOf(plan.cameras, e) !== undefined) {
      skipped.push({ key: e.key, why: 'a camera: captured by the camera capture' });
      continue;
    }
    if (e.component_type === 'sensor' && plan.sensors?.some((c) => c.id === e.boardId)) {
      skipped.push({ key: e.key, why: 'a gateway sensor: captured by the sensor capture' });
      continue;
    }
    if (!e.supported || boardMethod(e.method) === undefined) {
      skipped.push({ key: e.key, why: `method ${e.method} is not supported by any transport` });
      continue;
    }
    if (!boards.has(e.boardId)) {
      skipped.push({ key: e.key, why: `board ${e.boardId} is not in the plan` });
      continue;
    }
    if (!(e.hz > 0)) {
      skipped.push({ key: e.key, why: `capture frequency ${e.hz} Hz` });
      continue;
    }
    const meta = metaFor(plan, e);
    out.set(e.key, { entry: e, meta, fingerprint: JSON.stringify([e, meta]) });
  }
  return out;
}
