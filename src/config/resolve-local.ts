/**
 * The machine's own components: gateway sensors, cameras wharf opens, and local boards (a board
 * component with an address), each with the capture methods of its service_configs.
 */
import type { KnownComponent } from './components.js';
import type { MethodTarget } from './methods.js';
import type { ResolveState } from './resolve-state.js';
import { joinPath } from './path.js';
import { parseBoardAddress, UNSUPPORTED } from './address.js';
import { buildEntry } from './methods.js';
import { CAMERA_TRANSPORT, readCamera } from './cameras.js';
import { SENSOR_TRANSPORT, readSensor } from './sensors.js';
import { collectMethods } from './service-configs.js';

export function resolveLocalComponents(local: readonly KnownComponent[], st: ResolveState): void {
  const { issues, ectx } = st;
  for (const c of local) {
    let transport = UNSUPPORTED;
    if (c.type === 'sensor' && c.namespace === 'rdk') {
      const sensor = readSensor(c.name, c.config.model, c.path, issues);
      if (sensor !== undefined && st.claimBoardId(c.name, c.path)) {
        st.sensors.push(sensor);
        transport = SENSOR_TRANSPORT;
      }
    }
    if (c.type === 'camera' && c.namespace === 'rdk') {
      const cam = readCamera(c.name, c.config.model, c.config.attributes ?? {}, c.path, issues);
      if (cam !== undefined && st.claimBoardId(c.name, c.path)) {
        st.cameras.push(cam);
        transport = CAMERA_TRANSPORT;
      }
    }
    if (c.hardware !== undefined && st.claimBoardId(c.name, c.path)) {
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
      st.boards.push({
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
      (m, p) => st.push(buildEntry(m, p, target, ectx)),
    );
  }
}
