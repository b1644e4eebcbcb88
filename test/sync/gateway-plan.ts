/** A capture plan for end-to-end tests: the demo's simulated boards, capture dir in a temp dir. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/index.js';
import type { CapturePlan } from '../../src/config/plan.js';

const EXAMPLE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../examples/sim-gateway.jsonc',
);

export function simPlan(
  captureDir: string,
  over: { hz?: number; fileAgeMs?: number } = {},
): CapturePlan {
  const r = parseConfig(readFileSync(EXAMPLE, 'utf8'), {
    sourcePath: EXAMPLE,
    env: { HOME: captureDir, WHARF_HOME: captureDir },
  });
  if (!r.ok) throw new Error(`example config does not load: ${JSON.stringify(r.issues)}`);
  const p = r.plan;
  return {
    ...p,
    gateway: { ...p.gateway, http: null, sync: null },
    dataManager: {
      ...p.dataManager,
      capture_dir: captureDir,
      maximum_capture_file_age_ms: over.fileAgeMs ?? 500,
      flush_interval_ms: 200,
    },
    entries: p.entries.map((e) => ({ ...e, hz: over.hz ?? e.hz })),
  };
}
