/**
 * One capture method config → one normalised PlanEntry (or nothing, when it is off).
 *
 * Both spellings are accepted: `{"reader_name": "A1"}` / `{"pin_name": "27"}`, and the older form
 * where every key with an empty-string value is a reader or pin: `{"A1": "", "A2": ""}`,
 * `{"27": ""}`. `Gpios` is read as `Gpio`.
 */
import type { BoardHardwareConfig } from './plan.js';
import type { OffMethod, PlanEntry } from './plan.js';
import type { IssueList } from './issues.js';
import type { CaptureMethodConfig } from './schema.js';
import { joinPath } from './path.js';
import { closest, editDistance, formatResourceName } from './names.js';
import { dedup } from './settings.js';
import { UNSUPPORTED } from './address.js';
import { CAMERA_TRANSPORT, cameraMimeType, isCameraMethod } from './cameras.js';
import { SENSOR_TRANSPORT } from './sensors.js';

export const SUPPORTED_METHODS = ['Analogs', 'Gpio'] as const;
const ALIASES: Record<string, string> = { Gpios: 'Gpio' };

/**
 * Capture methods Viam's data manager knows (per resource API). A method in this list that wharf
 * does not capture (ReadImage, Readings, …) is listed with a warning; a method in neither list is a
 * typo or an invention: an error with the closest name.
 */
export const VIAM_METHODS = [
  'Analogs',
  'Gpios',
  'Gpio',
  'ReadImage',
  'GetImages',
  'NextPointCloud',
  'Readings',
  'Position',
  'Orientation',
  'LinearVelocity',
  'AngularVelocity',
  'LinearAcceleration',
  'CompassHeading',
  'Properties',
  'Voltage',
  'Current',
  'Power',
  'TicksCount',
  'IsPowered',
  'EndPosition',
  'JointPositions',
  'Lengths',
  'DoCommand',
  'CaptureAllFromCamera',
  'PointCloudMap',
  'Poses',
] as const;

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

export function entryKey(
  boardId: string,
  type: string,
  name: string,
  method: string,
  readers: readonly string[],
): string {
  return `${boardId}/${type}/${name}/${method}/${readers.join(',')}`;
}

/** Readers named by a method's additional_params, in either spelling. */
function readersOf(
  method: string,
  params: Record<string, unknown>,
  path: string,
  issues: IssueList,
): string[] | undefined {
  const named = method === 'Analogs' ? 'reader_name' : 'pin_name';
  const other = method === 'Analogs' ? 'pin_name' : 'reader_name';
  const out: string[] = [];
  let ok = true;
  for (const [k, v] of Object.entries(params)) {
    if (k === named) {
      if (typeof v === 'string' && v !== '') out.push(v);
      else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) out.push(String(v));
      else {
        issues.error(
          joinPath(path, k),
          `${k} must be a non-empty string`,
          method === 'Analogs' ? 'e.g. "reader_name": "A1"' : 'e.g. "pin_name": "27"',
        );
        ok = false;
      }
    } else if (k === other) {
      issues.error(
        joinPath(path, k),
        `${k} is not a parameter of ${method}`,
        `${method} takes "${named}" (or the {"NAME": ""} form)`,
      );
      ok = false;
    } else if (v === '') {
      out.push(k);
    }
  }
  return ok ? dedup(out).sort(compareNames) : undefined;
}

/**
 * Natural order: A2 before A10, pin 4 before 27 — ICU's (`Intl.Collator('en', {numeric: true})`),
 * then code units. Names of letters and digits only (A1, pin27, temp) are ordered here the same
 * way without ICU: the collator touches ~2 MB of ICU data in the node executable, resident in the
 * gateway for as long as it runs (docs/benchmarks.md). test/config/names-order.test.ts checks the
 * two agree; any other name goes to the collator, made on first use.
 */
let collator: Intl.Collator | undefined;
export function compareNames(a: string, b: string): number {
  const fast = compareAlnum(a, b);
  if (fast !== undefined) return fast;
  collator ??= new Intl.Collator('en', { numeric: true });
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

const ALNUM = /^[A-Za-z0-9]{0,64}$/;
const TOKENS = /[0-9]+|[A-Za-z]/g;

/**
 * ICU's en/numeric order for strings of ASCII letters and digits, or undefined for anything else
 * (or a digit run past 15 digits). Primary: digit runs by value (leading zeros ignored) before
 * letters, letters case-blind; then case, lower before upper, at the first letter that differs;
 * then code units.
 */
export function compareAlnum(a: string, b: string): number | undefined {
  if (!ALNUM.test(a) || !ALNUM.test(b)) return undefined;
  const ta = a.match(TOKENS) ?? [];
  const tb = b.match(TOKENS) ?? [];
  let caseOrder = 0;
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i]!;
    const y = tb[i]!;
    const dx = x.charCodeAt(0) <= 57;
    const dy = y.charCodeAt(0) <= 57;
    if (dx !== dy) return dx ? -1 : 1;
    if (dx) {
      if (x.length > 15 || y.length > 15) return undefined;
      const d = Number(x) - Number(y);
      if (d !== 0) return d < 0 ? -1 : 1;
      continue;
    }
    const lx = x.toLowerCase();
    const ly = y.toLowerCase();
    if (lx !== ly) return lx < ly ? -1 : 1;
    if (caseOrder === 0 && x !== y) caseOrder = x === lx ? -1 : 1;
  }
  if (ta.length !== tb.length) return ta.length < tb.length ? -1 : 1;
  if (caseOrder !== 0) return caseOrder;
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface EntryContext {
  issues: IssueList;
  serviceTags: readonly string[];
  /** Keys already used → JSON path of the method that used it (duplicates are errors). */
  used: Map<string, string>;
  /** Methods that are off (disabled or 0 Hz), for `explain`. */
  off?: OffMethod[];
}

/** The closest name when it is close enough to be a typo (edit distance ≤ 1/3 of the length). */
export function nearName(s: string, candidates: readonly string[]): string | undefined {
  if (s.length > 64) return undefined;
  const near = closest(s, candidates, 1)[0];
  if (near === undefined) return undefined;
  const d = editDistance(s.toLowerCase(), near.toLowerCase());
  return d <= Math.max(2, Math.floor(near.length / 3)) ? near : undefined;
}

/** The record of a method that is off, shown by `explain` as `off: disabled` / `off: 0 Hz`. */
export function offMethod(
  m: CaptureMethodConfig,
  boardId: string,
  resource: string,
  path: string,
): OffMethod {
  return {
    boardId,
    resource,
    method: ALIASES[m.method] ?? m.method,
    hz: m.capture_frequency_hz ?? 0,
    reason: m.disabled === true ? 'disabled' : '0 Hz',
    path,
  };
}

/** True when the method is off: `disabled: true`, or a frequency of 0 or absent (warned). */
export function isOff(
  m: CaptureMethodConfig,
  path: string,
  what: string,
  issues: IssueList,
): boolean {
  if (m.disabled === true) return true;
  if (
    m.capture_frequency_hz !== undefined &&
    m.capture_frequency_hz !== null &&
    m.capture_frequency_hz > 0
  )
    return false;
  issues.warn(
    joinPath(path, 'capture_frequency_hz'),
    `${m.method} of ${what} is off: capture_frequency_hz is ${m.capture_frequency_hz === undefined || m.capture_frequency_hz === null ? 'absent' : '0'}`,
    'set capture_frequency_hz to the readings per second you want (e.g. 1), or "disabled": true to silence this',
  );
  return true;
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
  const method = ALIASES[m.method] ?? m.method;
  const params = m.additional_params ?? {};
  if (target.type === 'sensor' && method === 'Readings') {
    // Sensors wharf reads itself (src/capture/sensors); board-side sensors are not built yet.
    if (target.transport !== SENSOR_TRANSPORT)
      issues.warn(
        joinPath(path, 'method'),
        `method "Readings" of ${resource} is not captured: wharf reads sensors of model "gateway" (its own health); board-side sensors are not supported yet; it is listed but not captured`,
        'add {"name": "gateway-health", "type": "sensor", "model": "gateway"} to this machine\'s components (docs/sensors.md)',
      );
    return claimEntry(ctx, path, resource, {
      key: entryKey(target.boardId, target.type, target.name, method, []),
      boardId: target.boardId,
      component_type: target.type,
      component_name: target.name,
      resource,
      method,
      readers: [],
      hz,
      additional_params: { ...params },
      tags: dedup([...ctx.serviceTags, ...(m.tags ?? [])]),
      supported: target.transport === SENSOR_TRANSPORT,
    });
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
    return claimEntry(ctx, path, resource, {
      key: entryKey(target.boardId, target.type, target.name, method, []),
      boardId: target.boardId,
      component_type: target.type,
      component_name: target.name,
      resource,
      method,
      readers: [],
      hz,
      additional_params: { ...params, mime_type: mime },
      tags: dedup([...ctx.serviceTags, ...(m.tags ?? [])]),
      supported: target.transport === CAMERA_TRANSPORT,
    });
  }
  const paramsPath = joinPath(path, 'additional_params');
  const known = (SUPPORTED_METHODS as readonly string[]).includes(method);
  const isBoard = target.type === 'board' && (target.kind ?? 'component') === 'component';
  let readers: string[] = [];
  let supported = known && isBoard && target.transport !== UNSUPPORTED;
  if (!known && !(VIAM_METHODS as readonly string[]).includes(m.method)) {
    const near = nearName(m.method, VIAM_METHODS);
    issues.error(
      joinPath(path, 'method'),
      `unknown capture method "${m.method}" for ${resource}`,
      near !== undefined
        ? `did you mean "${near}"? (method names are case-sensitive; wharf captures ${SUPPORTED_METHODS.join(' and ')} from boards)`
        : `capture methods are Viam method names such as ${SUPPORTED_METHODS.join(' or ')} (boards), ReadImage (cameras) or Readings (sensors)`,
    );
    return undefined;
  } else if (!known) {
    const near = closest(method, SUPPORTED_METHODS, 1)[0];
    const looksLike =
      near !== undefined &&
      method.toLowerCase().replace(/s$/, '') === near.toLowerCase().replace(/s$/, '');
    issues.warn(
      joinPath(path, 'method'),
      `method "${m.method}" of ${resource} is not supported by any wharf transport; it is listed but not captured`,
      looksLike
        ? `did you mean "${near}"? (method names are case-sensitive)`
        : `wharf captures ${SUPPORTED_METHODS.join(' and ')} from boards`,
    );
  } else if (!isBoard) {
    issues.warn(
      joinPath(path, 'method'),
      `method "${method}" is a board method but ${resource} is ${target.kind === 'service' ? 'a service' : `a ${target.type}`}; it is listed but not captured`,
      'capture Analogs/Gpio from a component of type "board"',
    );
  } else {
    const r = readersOf(method, params, paramsPath, issues);
    if (r === undefined) return undefined;
    const what = method === 'Analogs' ? 'analog reader' : 'GPIO pin';
    const available =
      target.hardware === undefined
        ? undefined
        : method === 'Analogs'
          ? target.hardware.analogs.map((a) => a.name)
          : target.hardware.pins;
    if (r.length === 0) {
      const example =
        method === 'Analogs'
          ? `{"reader_name": "${available?.[0] ?? 'A1'}"}`
          : `{"pin_name": "${available?.[0] ?? '27'}"}`;
      issues.error(
        paramsPath,
        `${method} of ${resource} names no ${what}`,
        `add additional_params ${example}${available && available.length > 0 ? ` (the board has: ${available.join(', ')})` : ''}`,
      );
      return undefined;
    }
    if (available !== undefined) {
      const missing = r.filter((x) => !available.includes(x));
      if (missing.length > 0) {
        const list = missing.map((x) => `"${x}"`).join(', ');
        issues.error(
          paramsPath,
          `${list} ${missing.length === 1 ? `is not ${what === 'analog reader' ? 'an' : 'a'} ${what}` : `are not ${what}s`} of ${resource} (it has: ${available.length > 0 ? available.join(', ') : 'none'})`,
          method === 'Analogs'
            ? `add {"name": "${missing[0]}", "pin": "…"} to the board's attributes.analogs, or use one of its readers${suggest(missing[0] ?? '', available)}`
            : `add ${missing[0]} to the board's attributes.pins, or use one of its pins${suggest(missing[0] ?? '', available)}`,
        );
        return undefined;
      }
    }
    readers = r;
  }
  if (!known || !isBoard) supported = false;
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

function suggest(missing: string, available: readonly string[]): string {
  const near = closest(missing, available, 1)[0];
  return near === undefined ? '' : ` (closest: ${near})`;
}
