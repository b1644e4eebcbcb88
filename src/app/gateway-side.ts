/**
 * The collectors beside the board engine (cameras and the gateway's own sensors), as the gateway
 * assembles them (gateway-start.ts): they account their own restarts (src/capture/resume-gap.ts),
 * so their entries' resume marks are taken out of the engine's, and both get the same options.
 */
import type { CaptureEngine } from '../capture/engine.js';
import type { PausedEntry, PauseReason } from '../capture/paused.js';
import type { CaptureStore } from '../capture/capture-store.js';
import { cameraOf } from '../config/cameras.js';
import type { CapturePlan } from '../config/plan.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';

/**
 * Moves the resume marks of camera and gateway-sensor entries out of `resume` (the engine's) into
 * the returned map, with the reason capture stopped (default `capture_stopped`).
 */
export function takeSideResume(
  plan: CapturePlan,
  resume: Map<string, number>,
  reasons: ReadonlyMap<string, PauseReason>,
): Map<string, PausedEntry> {
  const sideResume = new Map<string, PausedEntry>();
  for (const e of plan.entries) {
    const own =
      cameraOf(plan.cameras, e) !== undefined ||
      (e.component_type === 'sensor' && plan.sensors?.some((c) => c.id === e.boardId));
    const last = resume.get(e.key);
    if (!own || last === undefined) continue;
    sideResume.set(e.key, { last, reason: reasons.get(e.key) ?? 'capture_stopped' });
    resume.delete(e.key);
  }
  return sideResume;
}

/** The options CameraCapture and SensorCapture share; `part` names the child logger. */
export function sideCollectorOptions(
  part: string,
  s: {
    store: CaptureStore;
    clock: Clock;
    logger: Logger;
    engine: CaptureEngine;
    resume: Map<string, PausedEntry>;
  },
): {
  sink: CaptureStore;
  clock: Clock;
  logger: Logger;
  metrics: CaptureEngine['metrics'];
  resume: Map<string, PausedEntry>;
  pausedElsewhere: (key: string) => PausedEntry | undefined;
} {
  return {
    sink: s.store,
    clock: s.clock,
    logger: s.logger.child({ part }),
    metrics: s.engine.metrics,
    resume: s.resume,
    pausedElsewhere: (key) => s.engine.takePaused(key),
  };
}
