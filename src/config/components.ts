/** Component configs → known resources (type, name, API) and, for boards, their hardware config. */
import type { BoardHardwareConfig } from './plan.js';
import type { IssueList } from './issues.js';
import { boardAttributesSchema, check, componentSchema, type ComponentConfig } from './schema.js';
import { joinPath } from './path.js';

export interface KnownComponent {
  name: string;
  type: string;
  namespace: string;
  /** 'component', or 'service' when declared with `"api": "rdk:service:…"`. */
  kind: 'component' | 'service';
  /** Present for board components: readers → pins, GPIO pins. */
  hardware?: BoardHardwareConfig;
  /** `address` from a local board's attributes (wharf), when given. */
  address?: string;
  /** The validated config (for its service_configs). */
  config: ComponentConfig;
  /** JSON path of the component in its file. */
  path: string;
  /** The IssueList of the file it came from (main config or a part_config file). */
  issues: IssueList;
}

export interface ResourceApi {
  type: string;
  namespace: string;
  kind: 'component' | 'service';
}

/**
 * Type, namespace and kind from `api` ("rdk:component:board", "rdk:service:vision") or from
 * `type`/`namespace` (then a component). `api` names the kind, so a resource declared as
 * `rdk:service:vision` is a service even when it also has a `type`.
 */
export function componentApi(c: {
  type?: string | undefined;
  api?: string | undefined;
  namespace?: string | undefined;
}): ResourceApi | undefined {
  const parts = c.api?.split(':') ?? [];
  const kind = parts.length === 3 && parts[1] === 'service' ? 'service' : 'component';
  if (c.type !== undefined) return { type: c.type, namespace: c.namespace ?? 'rdk', kind };
  if (c.api !== undefined) {
    const type = parts[parts.length - 1];
    if (parts.length === 3 && type !== undefined && type !== '')
      return { type, namespace: parts[0] ?? 'rdk', kind };
  }
  return undefined;
}

/** Validates `components[]` of a config file. Names must be unique within the list. */
export function readComponents(
  list: readonly unknown[],
  basePath: string,
  issues: IssueList,
): KnownComponent[] {
  const out: KnownComponent[] = [];
  const byName = new Map<string, string>();
  list.forEach((raw, i) => {
    const path = joinPath(basePath, i);
    const c = check(componentSchema, raw, path, issues);
    if (c === undefined) return;
    const api = componentApi(c);
    if (api === undefined) {
      issues.error(
        path,
        `component "${c.name}" has no type`,
        'add "type": "board" (or "api": "rdk:component:board")',
      );
      return;
    }
    const prev = byName.get(c.name);
    if (prev !== undefined) {
      issues.error(
        joinPath(path, 'name'),
        `component name "${c.name}" is used twice (also at ${prev})`,
        'component names must be unique within a part: rename one',
      );
      return;
    }
    byName.set(c.name, path);
    const known: KnownComponent = {
      name: c.name,
      type: api.type,
      namespace: api.namespace,
      kind: api.kind,
      config: c,
      path,
      issues,
    };
    if (api.type === 'board' && api.kind === 'component') {
      const attrsPath = joinPath(path, 'attributes');
      const attrs = check(boardAttributesSchema, c.attributes ?? {}, attrsPath, issues);
      if (attrs !== undefined) {
        known.hardware = {
          analogs: (attrs.analogs ?? []).map((a) => ({ name: a.name, pin: String(a.pin) })),
          pins: [...new Set((attrs.pins ?? []).map(String))],
        };
        const seen = new Set<string>();
        (attrs.analogs ?? []).forEach((a, j) => {
          if (seen.has(a.name))
            issues.error(
              joinPath(joinPath(joinPath(attrsPath, 'analogs'), j), 'name'),
              `analog reader "${a.name}" is defined twice`,
              'reader names must be unique on a board',
            );
          seen.add(a.name);
        });
        if (attrs.address !== undefined) known.address = attrs.address;
      }
    }
    out.push(known);
  });
  return out;
}
