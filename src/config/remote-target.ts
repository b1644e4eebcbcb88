/**
 * Remote target resolution: a remote capture method's fully qualified resource name
 * (`[remote:]namespace:component:type/name`) → the component on some remote it captures from.
 */
import type { IssueList } from './issues.js';
import type { KnownComponent } from './components.js';
import type { MethodTarget } from './methods.js';
import type { RemoteInfo } from './resolve-state.js';
import { joinPath } from './path.js';
import { closest, formatResourceName, parseResourceName } from './names.js';

export type ComponentIndex = Map<string, { r: RemoteInfo; c: KnownComponent }[]>;

/** Fully qualified name (without remote) → the remotes' components of that name. */
export function indexComponents(remotes: readonly RemoteInfo[]): ComponentIndex {
  const index: ComponentIndex = new Map();
  for (const r of remotes) {
    for (const c of r.components ?? []) {
      const k = formatResourceName({
        namespace: c.namespace,
        kind: c.kind,
        type: c.type,
        name: c.name,
      });
      const list = index.get(k) ?? [];
      list.push({ r, c });
      index.set(k, list);
    }
  }
  return index;
}

/** Resolves a remote capture method's fully qualified `name` to a board component on some remote. */
export function resolveRemoteTarget(
  name: string | undefined,
  p: string,
  rem: RemoteInfo,
  remotes: readonly RemoteInfo[],
  index: ComponentIndex,
  issues: IssueList,
): MethodTarget | undefined {
  const namePath = joinPath(p, 'name');
  const example = (rem.components ?? []).find((c) => c.hardware !== undefined)?.name ?? 'my-esp32';
  if (name === undefined) {
    issues.error(
      p,
      `a remote's capture method needs "name": the fully qualified resource name`,
      `e.g. "name": "rdk:component:board/${example}" (or "${rem.cfg.name}:rdk:component:board/${example}")`,
    );
    return undefined;
  }
  const rn = parseResourceName(name);
  if (rn === undefined) {
    issues.error(
      namePath,
      `"${name}" is not a fully qualified resource name`,
      `write namespace:component:type/name, e.g. "rdk:component:board/${example}", optionally prefixed by the remote: "${rem.cfg.name}:rdk:component:board/${example}"`,
    );
    return undefined;
  }
  if (rn.kind !== 'component') {
    issues.error(
      namePath,
      `"${name}" names a service; wharf captures component methods`,
      `e.g. "rdk:component:board/${example}"`,
    );
    return undefined;
  }
  const asTarget = (r: RemoteInfo, c: KnownComponent | undefined): MethodTarget => {
    const t: MethodTarget = {
      boardId: r.cfg.name,
      type: c?.type ?? rn.type,
      namespace: c?.namespace ?? rn.namespace,
      name: c?.name ?? rn.name,
      transport: r.spec.transport,
    };
    if (c?.hardware !== undefined) t.hardware = c.hardware;
    return t;
  };
  const assumed = (r: RemoteInfo): MethodTarget => {
    issues.warn(
      namePath,
      `remote "${r.cfg.name}" lists no components, so "${formatResourceName(rn)}" is taken as a resource of it without checking its readers/pins`,
      `give the remote's board config as remotes[${r.index}].components or remotes[${r.index}].part_config so readers and pins are checked and sent to the board`,
    );
    return asTarget(r, undefined);
  };
  const candidates = (rs: readonly RemoteInfo[]) =>
    rs.flatMap((r) =>
      (r.components ?? []).map((c) =>
        formatResourceName({
          remote: rs.length > 1 || rn.remote !== undefined ? r.cfg.name : undefined,
          namespace: c.namespace,
          kind: 'component',
          type: c.type,
          name: c.name,
        }),
      ),
    );

  let scope: readonly RemoteInfo[] = remotes;
  if (rn.remote !== undefined) {
    const r = remotes.find((x) => x.cfg.name === rn.remote);
    if (r === undefined) {
      const near = closest(
        rn.remote,
        remotes.map((x) => x.cfg.name),
      );
      issues.error(
        namePath,
        `"${name}" names remote "${rn.remote}", which is not configured`,
        near.length > 0
          ? `configured remotes closest to it: ${near.join(', ')}`
          : 'add the remote to "remotes" or drop the prefix',
      );
      return undefined;
    }
    if (r.components === undefined) return assumed(r);
    scope = [r];
  }
  const all =
    index.get(
      formatResourceName({
        namespace: rn.namespace,
        kind: 'component',
        type: rn.type,
        name: rn.name,
      }),
    ) ?? [];
  const found = scope.length === 1 ? all.filter((x) => x.r === scope[0]) : all;
  if (found.length === 1) {
    const only = found[0]!;
    return asTarget(only.r, only.c);
  }
  if (found.length > 1) {
    const names = found.map(({ r, c }) =>
      formatResourceName({
        remote: r.cfg.name,
        namespace: c.namespace,
        kind: 'component',
        type: c.type,
        name: c.name,
      }),
    );
    issues.error(
      namePath,
      `"${name}" matches resources on ${found.length} remotes: ${names.join(' and ')}`,
      `prefix the name with the remote you mean, e.g. "${names[0]}"`,
    );
    return undefined;
  }
  if (rn.remote === undefined && rem.components === undefined) return assumed(rem);
  const cands = candidates(scope);
  const near = closest(formatResourceName(rn), cands);
  issues.error(
    namePath,
    `"${name}" matches no component${scope.length === 1 ? ` of remote "${scope[0]!.cfg.name}"` : ' on any remote'}`,
    near.length > 0
      ? `closest: ${near.join(', ')}`
      : 'no remote lists any component; add the board config as remotes[].components or remotes[].part_config',
  );
  return undefined;
}
