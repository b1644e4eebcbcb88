/** Capture method collection: a resource's data_manager service_configs → its validated capture methods. */
import type { IssueList } from './issues.js';
import { joinPath } from './path.js';
import {
  check,
  captureMethodSchema,
  serviceConfigSchema,
  type CaptureMethodConfig,
} from './schema.js';

/** Walks data_manager service_configs and validates each capture method. */
export function collectMethods(
  list: readonly unknown[],
  basePath: string,
  issues: IssueList,
  each: (m: CaptureMethodConfig, path: string) => void,
): void {
  list.forEach((raw, i) => {
    const p = joinPath(basePath, i);
    const sc = check(serviceConfigSchema, raw, p, issues);
    if (sc === undefined) return;
    if (sc.type !== 'data_manager') {
      issues.warn(
        joinPath(p, 'type'),
        `service config of type "${sc.type}" is ignored (wharf reads data_manager service configs)`,
        'remove it, or set "type": "data_manager" if it holds capture methods',
      );
      return;
    }
    (sc.attributes?.capture_methods ?? []).forEach((rm, j) => {
      const mp = joinPath(joinPath(joinPath(p, 'attributes'), 'capture_methods'), j);
      const m = check(captureMethodSchema, rm, mp, issues);
      if (m !== undefined) each(m, mp);
    });
  });
}
