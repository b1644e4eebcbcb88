/**
 * The `remotes` list → one board per remote (its address, transport, secret and hardware), the
 * cameras wharf opens for it and the sensors its board agent reads.
 */
import type { BoardSpec } from './plan.js';
import type { RemoteInfo, ResolveState } from './resolve-state.js';
import { joinPath } from './path.js';
import { checkLenient, remoteSchema } from './schema.js';
import {
  UNSUPPORTED,
  dialInAddress,
  dialInNote,
  isForeignAddress,
  parseBoardAddress,
} from './address.js';
import { cameraAddressOf, readCamera } from './cameras.js';
import { parseResourceName } from './names.js';
import type { RemoteConfig } from './schema.js';
import { AGENT_TRANSPORTS, readBoardSensor } from './board-sensors.js';
import { remoteComponents } from './remote-parts.js';

export function resolveRemotes(list: readonly unknown[], st: ResolveState): RemoteInfo[] {
  const { issues, opts, pctx, cameras } = st;
  const remotes: RemoteInfo[] = [];
  const remoteNames = new Map<string, string>();
  list.forEach((raw, i) => {
    const p = joinPath('remotes', i);
    const r = checkLenient(remoteSchema, raw, p, issues);
    if (r === undefined) return;
    const prevName = remoteNames.get(r.name);
    if (prevName !== undefined) {
      issues.error(
        joinPath(p, 'name'),
        `remote name "${r.name}" is used twice (also at ${prevName})`,
        'remote names must be unique',
      );
      return;
    }
    remoteNames.set(r.name, p);
    // An address that is a camera source (rtsp://, http://, wharf://) is no board: its cameras
    // are reached over the network (addressCameraTarget in remote-methods.ts).
    const camAt = cameraAddressOf(r.address, onlyCameraMethods(r));
    // A foreign address (a Viam cloud host) is a board that dials in over MQTT as the remote's name.
    const dialIn = camAt === undefined && isForeignAddress(r.address);
    const addr =
      camAt !== undefined
        ? { transport: UNSUPPORTED, problems: [] }
        : dialIn
          ? {
              transport: 'mqtt',
              problems: [
                {
                  severity: 'warning' as const,
                  message: dialInNote(r.name, r.address),
                  hint: `the board runs wharf's MQTT firmware: wharf firmware build --transport mqtt --board-id ${r.name} --mqtt-host <this gateway> (with the remote's secret)`,
                },
              ],
            }
          : parseBoardAddress(r.address);
    for (const pr of addr.problems)
      issues.add(pr.severity, joinPath(p, 'address'), pr.message, pr.hint);
    if (addr.transport === 'mqtt' && (r.secret === undefined || r.secret === '')) {
      issues.warn(
        p,
        `remote "${r.name}" reaches its board over MQTT without a "secret": any client on the broker could publish as this board`,
        'add "secret": "…" here and the same secret to the board\'s firmware config',
      );
    }
    const components = remoteComponents(r, p, issues, opts, pctx);
    // a remote part's cameras: wharf reads their video_path (an IP camera URL) itself
    for (const c of components ?? []) {
      if (c.type !== 'camera' || c.namespace !== 'rdk') continue;
      const cam = readCamera(c.name, c.config.model, c.config.attributes ?? {}, c.path, c.issues);
      if (cam !== undefined) cameras.push({ ...cam, id: `${r.name}:${c.name}`, boardId: r.name });
    }
    // a remote part's sensors: the board agent reads them (sent in the cfg handshake)
    for (const c of components ?? []) {
      if (c.type !== 'sensor' || c.namespace !== 'rdk' || c.kind !== 'component') continue;
      const s = readBoardSensor(
        c.name,
        c.config.model,
        c.config.attributes ?? {},
        c.path,
        c.issues,
      );
      if (s === undefined) continue;
      c.hardware = { analogs: [], pins: [], sensors: [s] };
      if (!AGENT_TRANSPORTS.includes(addr.transport))
        c.issues.warn(
          c.path,
          `sensor "${c.name}" is read by the wharf board agent, but remote "${r.name}" is reached over ${addr.transport}: its Readings are listed but not captured`,
          'flash the wharf firmware (wharf firmware build) and reach the board over serial:// or mqtt://',
        );
    }
    const spec: BoardSpec = {
      id: r.name,
      address: dialIn ? dialInAddress(r.name) : r.address,
      transport: addr.transport,
      ...(dialIn ? { dial_in: r.address } : {}),
      components: (components ?? []).flatMap((c) =>
        c.hardware === undefined ? [] : [{ name: c.name, type: c.type, hardware: c.hardware }],
      ),
    };
    if (r.secret !== undefined) spec.secret = r.secret;
    if (camAt?.via === 'wharf' && (r.secret === undefined || r.secret === ''))
      issues.error(
        joinPath(p, 'secret'),
        `remote "${r.name}" is a wharf gateway serving its cameras; it needs the "secret" that gateway's wharf.serve_cameras has`,
        'add "secret": "…" (the same as on the serving gateway)',
      );
    if (st.claimBoardId(r.name, p) && camAt === undefined) st.boards.push(spec);
    remotes.push({ index: i, cfg: r, path: p, components, spec, ...(camAt ? { camAt } : {}) });
  });

  return remotes;
}

/** True when the remote has capture methods and each names a camera (and no board is declared). */
function onlyCameraMethods(r: RemoteConfig): boolean {
  const comps = (r.components ?? []) as { type?: unknown }[];
  if (comps.some((c) => c?.type !== 'camera')) return false;
  const names = (r.service_configs ?? []).flatMap((sc) => {
    const ms = (sc as { attributes?: { capture_methods?: unknown } })?.attributes?.capture_methods;
    return Array.isArray(ms) ? ms.map((m) => (m as { name?: unknown })?.name) : [];
  });
  return (
    names.length > 0 &&
    names.every((n) => typeof n === 'string' && parseResourceName(n)?.type === 'camera')
  );
}
