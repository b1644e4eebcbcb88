/** Methods that are off (`disabled: true`, or a frequency of 0 or absent): warned and listed by `explain`. */
import type { OffMethod } from './plan.js';
import type { IssueList } from './issues.js';
import type { CaptureMethodConfig } from './schema.js';
import { joinPath } from './path.js';
import { METHOD_ALIASES } from './method-names.js';

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
    method: METHOD_ALIASES[m.method] ?? m.method,
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
