/**
 * The remotes' capture methods: under `remotes[].service_configs` (by fully qualified name) and
 * under the remote's own components (a part config such as the seed esp32-board-part.json).
 */
import type { MethodTarget } from './methods.js';
import type { RemoteInfo, ResolveState } from './resolve-state.js';
import { joinPath } from './path.js';
import { buildEntry, isOff, offMethod } from './methods.js';
import { CAMERA_TRANSPORT, addressCamera, cameraOf } from './cameras.js';
import { parseResourceName } from './names.js';
import { collectMethods } from './service-configs.js';
import { indexComponents, resolveRemoteTarget } from './remote-target.js';

export function resolveRemoteMethods(remotes: readonly RemoteInfo[], st: ResolveState): void {
  const { issues, off, ectx, cameras } = st;
  const push = st.push;
  const index = indexComponents(remotes);
  for (const rem of remotes) {
    collectMethods(
      rem.cfg.service_configs ?? [],
      joinPath(rem.path, 'service_configs'),
      issues,
      (m, p) => {
        if (isOff(m, p, m.name ?? `a capture method of remote "${rem.cfg.name}"`, issues)) {
          off.push(offMethod(m, rem.cfg.name, m.name ?? '?', p));
          return;
        }
        const t =
          addressCameraTarget(m.name, rem) ??
          resolveRemoteTarget(m.name, p, rem, remotes, index, issues);
        if (t !== undefined) push(buildEntry(m, p, cameraTarget(t), ectx));
      },
    );
    for (const c of rem.components ?? []) {
      const t: MethodTarget = {
        boardId: rem.cfg.name,
        type: c.type,
        namespace: c.namespace,
        kind: c.kind,
        name: c.name,
        transport: rem.spec.transport,
      };
      if (c.hardware !== undefined) t.hardware = c.hardware;
      collectMethods(
        c.config.service_configs ?? [],
        joinPath(c.path, 'service_configs'),
        c.issues,
        (m, p) => push(buildEntry(m, p, cameraTarget(t), { ...ectx, issues: c.issues })),
      );
    }
  }

  /**
   * A camera named under a remote whose address is a camera source (the seed's
   * `rdk:component:camera/cam` of `pi-test-main`, address and secret changed): reached at that
   * address, unless the remote's components declare the camera with its own video_path.
   */
  function addressCameraTarget(
    name: string | undefined,
    rem: RemoteInfo,
  ): MethodTarget | undefined {
    if (rem.camAt === undefined || name === undefined) return undefined;
    const rn = parseResourceName(name);
    if (rn === undefined || rn.kind !== 'component' || rn.type !== 'camera') return undefined;
    if (rn.remote !== undefined && rn.remote !== rem.cfg.name) return undefined;
    const r = rem.cfg.name;
    if (
      cameraOf(cameras, { boardId: r, component_type: 'camera', component_name: rn.name }) ===
      undefined
    )
      cameras.push(addressCamera(r, rn.name, rem.camAt, rem.cfg.secret));
    return {
      boardId: r,
      type: 'camera',
      namespace: rn.namespace,
      kind: 'component',
      name: rn.name,
      transport: CAMERA_TRANSPORT,
    };
  }

  /** A target that is a camera wharf opens is reached through the camera, not the board link. */
  function cameraTarget(t: MethodTarget): MethodTarget {
    const cam = cameraOf(cameras, {
      boardId: t.boardId,
      component_type: t.type,
      component_name: t.name,
    });
    return cam === undefined ? t : { ...t, transport: CAMERA_TRANSPORT };
  }
}
