/**
 * Sensor components (`type: sensor`) wharf reads itself, captured with `Readings` (docs/sensors.md):
 *  - model `gateway`: the gateway's own health (CPU temperature where the machine exposes it, load,
 *    disk free on the capture dir, memory).
 * Board-side sensors (pulse counters, calibrated analog pins, the chip temperature, read by the board
 * agent) are a remote part's components: src/config/board-sensors.ts. A `Readings` method of any
 * other sensor is listed but not captured, with a warning.
 */
import type { IssueList } from './issues.js';
import { joinPath } from './path.js';
import type { SensorSpec } from './plan.js';

export type { SensorSpec } from './plan.js';

export const SENSOR_MODELS = ['gateway'] as const;
/** The transport name sensor entries carry (PlanEntry.boardId is the sensor's component name). */
export const SENSOR_TRANSPORT = 'sensor';

export function readSensor(
  name: string,
  model: string | undefined,
  path: string,
  issues: IssueList,
): SensorSpec | undefined {
  if (model === 'gateway' || model === 'wharf:gateway') return { id: name, model: 'gateway' };
  issues.warn(
    joinPath(path, 'model'),
    `sensor "${name}" has model ${model === undefined ? '(none)' : `"${model}"`}, which wharf cannot read; its Readings are listed but not captured`,
    'wharf reads "model": "gateway" (the gateway\'s own health: CPU temperature, load, disk free, memory)',
  );
  return undefined;
}
