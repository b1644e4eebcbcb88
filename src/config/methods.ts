/**
 * One capture method config → one normalised PlanEntry (or nothing, when it is off): a remote
 * board's sensor (Readings read by the board agent), a gateway sensor, a camera, or a board method
 * (board-methods.ts). The vocabulary is in method-names.ts, methods that are off in off-methods.ts.
 */
import type { BoardHardwareConfig, OffMethod, PlanEntry } from './plan.js';
import type { IssueList } from './issues.js';
import type { CaptureMethodConfig } from './schema.js';
import { joinPath } from './path.js';
import { formatResourceName } from './names.js';
import { dedup } from './settings.js';
import { CAMERA_TRANSPORT, cameraMimeType, isCameraMethod } from './cameras.js';
import { SENSOR_TRANSPORT } from './sensors.js';
import { AGENT_TRANSPORTS } from './board-sensors.js';
import { entryKey, METHOD_ALIASES } from './method-names.js';
import { isOff, offMethod } from './off-methods.js';
import { checkBoardMethod } from './board-methods.js';

export {
  compareAlnum,
  compareNames,
  entryKey,
  nearName,
  SUPPORTED_METHODS,
  VIAM_METHODS,
} from './method-names.js';
export { isOff, offMethod } from './off-methods.js';

/** The resource a method captures from, already resolved. */
export interface MethodTarget {
  boardId: string;
  type: string;
  namespace: string;
  name: string;
  /** 'service' for a resource declared with `"api": "rdk:service:…"`; default 'component'. */
  kind?: 'component' | 'service';
  /** Board hardware when known: readers/pins are checked against it. */
  hardware?: BoardHardwareConfig;
  transport: string;
}

export interface EntryContext {
  issues: IssueList;
  serviceTags: readonly string[];
  /** Keys already used → JSON path of the method that used it (duplicates are errors). */
  used: Map<string, string>;
  /** Methods that are off (disabled or 0 Hz), for `explain`. */
  off?: OffMethod[];
}

/** Returns the entry, or undefined when the method is off or broken (issues recorded). */
export function buildEntry(
  m: CaptureMethodConfig,
  path: string,
  target: MethodTarget,
  ctx: EntryContext,
): PlanEntry | undefined {
  const { issues } = ctx;
  const resource = formatResourceName({
    namespace: target.namespace,
    kind: target.kind ?? 'component',
    type: target.type,
    name: target.name,
  });
  if (isOff(m, path, resource, issues)) {
    ctx.off?.push(offMethod(m, target.boardId, resource, path));
    return undefined;
  }
  const hz = m.capture_frequency_hz ?? 0;
  const method = METHOD_ALIASES[m.method] ?? m.method;
  const params = m.additional_params ?? {};
  const boardSensor = target.hardware?.sensors?.find((x) => x.name === target.name);
  /** The entry of a method that reads the component as a whole (sensor Readings, camera images). */
  const componentEntry = (
    readers: string[],
    extra: Record<string, unknown>,
    supported: boolean,
  ): PlanEntry | undefined =>
    claimEntry(ctx, path, resource, {
      key: entryKey(target.boardId, target.type, target.name, method, readers),
      boardId: target.boardId,
      component_type: target.type,
      component_name: target.name,
      resource,
      method,
      readers,
      hz,
      additional_params: { ...params, ...extra },
      tags: dedup([...ctx.serviceTags, ...(m.tags ?? [])]),
      supported,
    });
  if (target.type === 'sensor' && method === 'Readings' && boardSensor !== undefined) {
    // A remote part's sensor, read by the board agent (src/config/board-sensors.ts)
    return componentEntry([target.name], {}, AGENT_TRANSPORTS.includes(target.transport));
  }
  if (target.type === 'sensor' && method === 'Readings') {
    // Sensors wharf reads itself (src/capture/sensors).
    if (target.transport !== SENSOR_TRANSPORT)
      issues.warn(
        joinPath(path, 'method'),
        `method "Readings" of ${resource} is not captured: wharf reads sensors of model "gateway" (its own health) and a remote board's sensors declared in its part config (pulse_counter, analog_linear, chip_temperature); it is listed but not captured`,
        'add {"name": "gateway-health", "type": "sensor", "model": "gateway"} to this machine\'s components, or declare the sensor in the remote\'s components (docs/sensors.md)',
      );
    return componentEntry([], {}, target.transport === SENSOR_TRANSPORT);
  }
  if (target.type === 'camera' && isCameraMethod(method)) {
    // Cameras (src/capture/images): captured when the camera is a local component wharf can open.
    const mime = cameraMimeType(m, path, issues);
    if (mime === undefined) return undefined;
    if (target.transport !== CAMERA_TRANSPORT)
      issues.warn(
        joinPath(path, 'method'),
        `method "${method}" of ${resource} is not captured: wharf captures images from camera components it can open (model webcam or ffmpeg, declared in this config or in the remote's components); it is listed but not captured`,
        'declare the camera (in this machine\'s or the remote\'s "components") as {"name": "cam", "type": "camera", "model": "ffmpeg", "attributes": {"video_path": "rtsp://…"}} (docs/cameras.md)',
      );
    return componentEntry([], { mime_type: mime }, target.transport === CAMERA_TRANSPORT);
  }
  const checked = checkBoardMethod(m, method, path, resource, target, issues);
  if (checked === undefined) return undefined;
  const { readers, supported } = checked;
  const key = entryKey(target.boardId, target.type, target.name, method, readers);
  const prev = ctx.used.get(key);
  if (prev !== undefined) {
    issues.error(
      path,
      `${method} of ${resource}${readers.length > 0 ? ` (${readers.join(', ')})` : ''} is configured twice (also at ${prev})`,
      'remove one of them, or disable one with "disabled": true',
    );
    return undefined;
  }
  ctx.used.set(key, path);
  return {
    key,
    boardId: target.boardId,
    component_type: target.type,
    component_name: target.name,
    resource,
    method,
    readers,
    hz,
    additional_params: { ...params },
    tags: dedup([...ctx.serviceTags, ...(m.tags ?? [])]),
    supported,
  };
}

/** Records the entry's key (a duplicate is an error) and returns it. */
function claimEntry(
  ctx: EntryContext,
  path: string,
  resource: string,
  e: PlanEntry,
): PlanEntry | undefined {
  const prev = ctx.used.get(e.key);
  if (prev !== undefined) {
    ctx.issues.error(
      path,
      `${e.method} of ${resource} is configured twice (also at ${prev})`,
      'remove one of them, or disable one with "disabled": true',
    );
    return undefined;
  }
  ctx.used.set(e.key, path);
  return e;
}
