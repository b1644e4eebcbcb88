/**
 * Board methods (Analogs, Gpio): the method name checked (a typo is an error, a Viam method wharf
 * does not capture a warning), and the readers/pins it names checked against the board's hardware.
 * Both spellings are accepted: `{"reader_name": "A1"}` / `{"pin_name": "27"}`, and the older form
 * where every key with an empty-string value is a reader or pin: `{"A1": "", "A2": ""}`.
 */
import type { BoardHardwareConfig } from './plan.js';
import type { IssueList } from './issues.js';
import type { CaptureMethodConfig } from './schema.js';
import { joinPath } from './path.js';
import { closest } from './names.js';
import { dedup } from './settings.js';
import { UNSUPPORTED } from './address.js';
import { compareNames, nearName, SUPPORTED_METHODS, VIAM_METHODS } from './method-names.js';

/** What a board method check needs to know of the resource it captures from. */
export interface BoardMethodTarget {
  type: string;
  kind?: 'component' | 'service';
  hardware?: BoardHardwareConfig;
  transport: string;
}

/**
 * The readers of a method that is neither a sensor's Readings nor a camera's, and whether wharf
 * captures it; undefined when the method is broken (issues recorded).
 */
export function checkBoardMethod(
  m: CaptureMethodConfig,
  method: string,
  path: string,
  resource: string,
  target: BoardMethodTarget,
  issues: IssueList,
): { readers: string[]; supported: boolean } | undefined {
  const params = m.additional_params ?? {};
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
  return { readers, supported };
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

function suggest(missing: string, available: readonly string[]): string {
  const near = closest(missing, available, 1)[0];
  return near === undefined ? '' : ` (closest: ${near})`;
}
