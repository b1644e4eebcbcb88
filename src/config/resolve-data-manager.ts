/** The `services` list → the data_manager service's settings (one per machine; defaults if none). */
import type { DataManagerSettings } from './plan.js';
import type { IssueList } from './issues.js';
import { joinPath } from './path.js';
import { check, checkLenient, dataManagerAttributesSchema, serviceSchema } from './schema.js';
import { resolveDataManager, type PathContext } from './settings.js';

function isDataManager(s: { type?: string | undefined; api?: string | undefined }): boolean {
  return s.type === 'data_manager' || (s.api !== undefined && /(^|:)data_manager$/.test(s.api));
}

/** Finds the data_manager service in `services` and resolves its attributes. */
export function resolveDataManagerService(
  services: readonly unknown[],
  pctx: PathContext,
  issues: IssueList,
): DataManagerSettings {
  let dmAttrs: unknown;
  let dmPath: string | undefined;
  services.forEach((raw, i) => {
    const p = joinPath('services', i);
    const s = check(serviceSchema, raw, p, issues);
    if (s === undefined || !isDataManager(s)) return;
    if (dmPath !== undefined) {
      issues.error(
        p,
        `a second data_manager service (the first is ${dmPath})`,
        'a machine has one data_manager service: merge them',
      );
      return;
    }
    dmPath = p;
    dmAttrs = s.attributes ?? {};
  });
  if (dmPath === undefined) {
    issues.warn(
      'services',
      'no data_manager service: the defaults are used',
      'add {"name": "data_manager", "type": "data_manager", "attributes": {}} to "services" to set the capture directory, sync interval and tags',
    );
  }
  const attrs =
    dmPath === undefined
      ? {}
      : checkLenient(dataManagerAttributesSchema, dmAttrs, joinPath(dmPath, 'attributes'), issues);
  const dataManager = resolveDataManager(attrs, pctx);
  if (dataManager.capture_disabled) {
    issues.warn(
      dmPath === undefined
        ? 'services'
        : joinPath(joinPath(dmPath, 'attributes'), 'capture_disabled'),
      'capture_disabled is true: the plan is listed but nothing is captured',
      'set "capture_disabled": false (or remove it) to capture',
    );
  }
  return dataManager;
}
