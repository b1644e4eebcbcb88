/**
 * A validated machine config → CapturePlan: boards (remotes and local board components), their
 * hardware, and one PlanEntry per resource, method and reader set. Every problem is collected.
 */
import * as path from 'node:path';
import type { BoardSpec, CapturePlan, OffMethod, PlanEntry } from './plan.js';
import { IssueList } from './issues.js';
import { parseJsonc } from './jsonc.js';
import { joinPath } from './path.js';
import {
  check,
  checkLenient,
  captureMethodSchema,
  dataManagerAttributesSchema,
  partFileSchema,
  remoteSchema,
  serviceConfigSchema,
  serviceSchema,
  topSchema,
  wharfSchema,
  type RemoteConfig,
} from './schema.js';
import { resolveDataManager, resolveGateway, type PathContext } from './settings.js';
import { readComponents, type KnownComponent } from './components.js';
import {
  dialInAddress,
  dialInNote,
  isForeignAddress,
  parseBoardAddress,
  UNSUPPORTED,
} from './address.js';
import { buildEntry, isOff, offMethod, type EntryContext, type MethodTarget } from './methods.js';
import { closest, formatResourceName, parseResourceName } from './names.js';
import {
  CAMERA_TRANSPORT,
  addressCamera,
  cameraAddressOf,
  cameraOf,
  readCamera,
  type CameraSpec,
} from './cameras.js';
import { SENSOR_TRANSPORT, readSensor, type SensorSpec } from './sensors.js';

export interface ResolveOptions {
  /** Path of the config file (relative paths in it are resolved against its directory). */
  sourcePath: string;
  env: NodeJS.ProcessEnv;
  hostname: string;
  /** Reads a part_config file (absolute path). Throws on failure. */
  readPart: (absPath: string) => string;
}

interface RemoteInfo {
  index: number;
  cfg: RemoteConfig;
  path: string;
  /** Known components, or undefined when the config says nothing about the remote's hardware. */
  components: KnownComponent[] | undefined;
  spec: BoardSpec;
  /** The remote's address is itself a camera source (an IP camera URL, another wharf gateway). */
  camAt?: ReturnType<typeof cameraAddressOf>;
}

function isDataManager(s: { type?: string | undefined; api?: string | undefined }): boolean {
  return s.type === 'data_manager' || (s.api !== undefined && /(^|:)data_manager$/.test(s.api));
}

/** Resolves a parsed document. Returns the plan when there are no errors. */
export function resolveDocument(
  doc: unknown,
  issues: IssueList,
  opts: ResolveOptions,
): CapturePlan | undefined {
  const top = check(topSchema, doc, '', issues);
  if (top === undefined) return undefined;
  const pctx: PathContext = { env: opts.env, baseDir: path.dirname(path.resolve(opts.sourcePath)) };

  // services → data_manager
  let dmAttrs: unknown;
  let dmPath: string | undefined;
  (top.services ?? []).forEach((raw, i) => {
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

  // wharf section
  const wharf =
    top.wharf === undefined ? undefined : checkLenient(wharfSchema, top.wharf, 'wharf', issues);
  const gateway = resolveGateway(wharf, pctx, issues);
  const machine = wharf?.machine ?? opts.hostname;
  const part_id = wharf?.part_id ?? machine;

  const boards: BoardSpec[] = [];
  const entries: PlanEntry[] = [];
  const boardIds = new Map<string, string>();
  const off: OffMethod[] = [];
  const ectx: EntryContext = { issues, serviceTags: dataManager.tags, used: new Map(), off };
  const claimBoardId = (id: string, p: string): boolean => {
    const prev = boardIds.get(id);
    if (prev !== undefined) {
      issues.error(
        p,
        `board id "${id}" is used twice (also by ${prev})`,
        'remote names and local board component names must all be different',
      );
      return false;
    }
    boardIds.set(id, p);
    return true;
  };

  // local components
  const local = readComponents(top.components ?? [], 'components', issues);
  const cameras: CameraSpec[] = [];
  const sensors: SensorSpec[] = [];
  for (const c of local) {
    let transport = UNSUPPORTED;
    if (c.type === 'sensor' && c.namespace === 'rdk') {
      const sensor = readSensor(c.name, c.config.model, c.path, issues);
      if (sensor !== undefined && claimBoardId(c.name, c.path)) {
        sensors.push(sensor);
        transport = SENSOR_TRANSPORT;
      }
    }
    if (c.type === 'camera' && c.namespace === 'rdk') {
      const cam = readCamera(c.name, c.config.model, c.config.attributes ?? {}, c.path, issues);
      if (cam !== undefined && claimBoardId(c.name, c.path)) {
        cameras.push(cam);
        transport = CAMERA_TRANSPORT;
      }
    }
    if (c.hardware !== undefined && claimBoardId(c.name, c.path)) {
      const addressPath = joinPath(joinPath(c.path, 'attributes'), 'address');
      if (c.address === undefined) {
        issues.warn(
          joinPath(c.path, 'attributes'),
          `local board "${c.name}" has no "address": wharf cannot reach it, its capture methods are listed but not scheduled`,
          'add "address": "serial:///dev/ttyUSB0?baud=115200" (or sim://, mqtt://, firmata://) to its attributes',
        );
      } else {
        const a = parseBoardAddress(c.address);
        transport = a.transport;
        for (const pr of a.problems) issues.add(pr.severity, addressPath, pr.message, pr.hint);
      }
      boards.push({
        id: c.name,
        address: c.address ?? '',
        transport,
        components: [{ name: c.name, type: c.type, hardware: c.hardware }],
      });
    }
    const target: MethodTarget = {
      boardId: c.name,
      type: c.type,
      namespace: c.namespace,
      kind: c.kind,
      name: c.name,
      transport,
    };
    if (c.hardware !== undefined) target.hardware = c.hardware;
    collectMethods(
      c.config.service_configs ?? [],
      joinPath(c.path, 'service_configs'),
      issues,
      (m, p) => push(buildEntry(m, p, target, ectx)),
    );
  }

  // remotes
  const remotes: RemoteInfo[] = [];
  const remoteNames = new Map<string, string>();
  (top.remotes ?? []).forEach((raw, i) => {
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
    // are reached over the network (addressCameraTarget).
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
    if (claimBoardId(r.name, p) && camAt === undefined) boards.push(spec);
    remotes.push({ index: i, cfg: r, path: p, components, spec, ...(camAt ? { camAt } : {}) });
  });

  const index = indexComponents(remotes);
  // remote capture methods: under remotes[].service_configs (by fully qualified name) and under the
  // remote's own components (a part config such as the seed esp32-board-part.json).
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

  function push(e: PlanEntry | undefined): void {
    if (e !== undefined) entries.push(e);
  }

  if (issues.hasErrors) return undefined;
  return {
    gateway,
    machine,
    part_id,
    dataManager,
    boards,
    entries,
    off,
    warnings: issues.items.filter((i) => i.severity === 'warning'),
    ...(cameras.length > 0 ? { cameras } : {}),
    ...(sensors.length > 0 ? { sensors } : {}),
  };
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

/** Walks data_manager service_configs and validates each capture method. */
function collectMethods(
  list: readonly unknown[],
  basePath: string,
  issues: IssueList,
  each: (m: import('./schema.js').CaptureMethodConfig, path: string) => void,
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

/** `WHARF_REMOTE_PARTS` = `name=path[,name=path…]` → the path for remote `name` (relative to the working directory). */
export function envPartConfig(env: NodeJS.ProcessEnv, name: string): string | undefined {
  for (const item of (env.WHARF_REMOTE_PARTS ?? '').split(',')) {
    const eq = item.indexOf('=');
    if (eq > 0 && item.slice(0, eq).trim() === name) return item.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/** The remote's components: inline `components`, or the `components` of its `part_config` file. */
function remoteComponents(
  r: RemoteConfig,
  p: string,
  issues: IssueList,
  opts: ResolveOptions,
  pctx: PathContext,
): KnownComponent[] | undefined {
  const inline = r.components ?? undefined;
  if (inline !== undefined && r.part_config !== undefined) {
    issues.error(
      p,
      `remote "${r.name}" has both "components" and "part_config"`,
      'give its board config in one place',
    );
    return undefined;
  }
  if (inline !== undefined) return readComponents(inline, joinPath(p, 'components'), issues);
  // WHARF_REMOTE_PARTS="esp-home=./esp32-board-part.json,…" gives a remote's part config without
  // editing the machine config (a Viam config names its remotes' parts by cloud address only).
  const fromEnv = r.part_config === undefined ? envPartConfig(opts.env, r.name) : undefined;
  const partConfig = r.part_config ?? fromEnv;
  if (partConfig === undefined) return undefined;
  const file =
    fromEnv !== undefined ? path.resolve(partConfig) : path.resolve(pctx.baseDir, partConfig);
  const partPath = joinPath(p, 'part_config');
  let text: string;
  try {
    text = opts.readPart(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    issues.error(
      partPath,
      `cannot read part config ${file}${code ? ` (${code})` : ''}`,
      'the path is relative to this config file; check that the file exists and is readable',
    );
    return undefined;
  }
  const parsed = parseJsonc(text);
  const partIssues = issues.forFile(parsed.positions, file);
  for (const n of parsed.notices) partIssues.add('warning', n.path, n.message, n.hint, n.line);
  if (!parsed.ok) {
    const e = parsed.error;
    partIssues.add(
      'error',
      e.path,
      `syntax error at ${e.line}:${e.column}: ${e.message}`,
      e.hint,
      e.line,
    );
    issues.error(
      partPath,
      `part config ${file} cannot be read (see the error above)`,
      'fix the syntax error in the part config',
    );
    return undefined;
  }
  const doc = check(partFileSchema, parsed.value, '', partIssues);
  if (doc === undefined) return undefined;
  const comps = readComponents(doc.components ?? [], 'components', partIssues);
  if (!comps.some((c) => c.hardware !== undefined || c.type === 'camera')) {
    partIssues.warn(
      'components',
      `part config of remote "${r.name}" has no board component`,
      'a remote board part lists its board as {"name": "my-esp32", "type": "board", "attributes": {"pins": [...], "analogs": [...]}}',
    );
  }
  return comps;
}

type ComponentIndex = Map<string, { r: RemoteInfo; c: KnownComponent }[]>;

/** Fully qualified name (without remote) → the remotes' components of that name. */
function indexComponents(remotes: readonly RemoteInfo[]): ComponentIndex {
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
function resolveRemoteTarget(
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
