/**
 * Board-side sensors: a remote part's `type: sensor` components that the board agent (firmware/)
 * reads itself, captured with `Readings` (docs/sensors.md). Models:
 *  - `pulse_counter`: edges on a GPIO pin (`pin`, `edge` rising|falling|both, `debounce_ms`,
 *    `pull` up|down|none) → per reading the edges since the previous one and the running total;
 *  - `analog_linear`: an ADC pin with a linear calibration from volts at the pin to units: either
 *    `in_min`/`in_max` (V) → `out_min`/`out_max`, or `scale`/`offset` (value = scale·V + offset);
 *    optional `unit`, `attenuation_db` (0, 2.5, 6, 11; default 11);
 *  - `chip_temperature`: the chip's own temperature where the interpreter has it.
 * Only boards running the wharf agent (serial://, mqtt://, dial-in) read them.
 */
import type { IssueList } from './issues.js';
import { joinPath } from './path.js';
import type { BoardSensor } from './plan.js';

export const BOARD_SENSOR_MODELS = ['pulse_counter', 'analog_linear', 'chip_temperature'] as const;
/** Transports whose boards run the wharf agent (the only ones that read board-side sensors). */
export const AGENT_TRANSPORTS: readonly string[] = ['serial', 'mqtt'];

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const pinOf = (v: unknown): string | undefined =>
  (typeof v === 'string' && v !== '') || (typeof v === 'number' && Number.isInteger(v) && v >= 0)
    ? String(v)
    : undefined;

/** The model name without a `wharf:` prefix when it is a board sensor model, else undefined. */
export function boardSensorModel(model: string | undefined): BoardSensor['model'] | undefined {
  const m = model?.replace(/^wharf:/, '');
  return (BOARD_SENSOR_MODELS as readonly string[]).includes(m ?? '')
    ? (m as BoardSensor['model'])
    : undefined;
}

/** Reads a board-side sensor's attributes; undefined (issues recorded) when it cannot be used. */
export function readBoardSensor(
  name: string,
  model: string | undefined,
  attributes: Record<string, unknown>,
  path: string,
  issues: IssueList,
): BoardSensor | undefined {
  const m = boardSensorModel(model);
  const ap = (k: string) => joinPath(joinPath(path, 'attributes'), k);
  if (m === undefined) {
    issues.warn(
      joinPath(path, 'model'),
      `sensor "${name}" of the remote part has model ${model === undefined ? '(none)' : `"${model}"`}, which the board agent cannot read; its Readings are listed but not captured`,
      `the board agent reads "model": ${BOARD_SENSOR_MODELS.map((x) => `"${x}"`).join(', ')} (docs/sensors.md)`,
    );
    return undefined;
  }
  if (m === 'chip_temperature') return { name, model: m };
  const pin = pinOf(attributes.pin);
  if (pin === undefined) {
    issues.error(
      ap('pin'),
      `sensor "${name}" (${m}) needs "pin"`,
      m === 'pulse_counter' ? 'e.g. "pin": 27 (a GPIO pin)' : 'e.g. "pin": 34 (an ADC1 pin: 32–39)',
    );
    return undefined;
  }
  if (m === 'pulse_counter') {
    const edge = attributes.edge ?? 'rising';
    const pull = attributes.pull ?? 'none';
    const debounce = attributes.debounce_ms ?? 0;
    if (edge !== 'rising' && edge !== 'falling' && edge !== 'both') {
      issues.error(ap('edge'), `"edge" must be "rising", "falling" or "both"`);
      return undefined;
    }
    if (pull !== 'up' && pull !== 'down' && pull !== 'none') {
      issues.error(ap('pull'), `"pull" must be "up", "down" or "none"`);
      return undefined;
    }
    if (!finite(debounce) || debounce < 0 || debounce > 1000) {
      issues.error(
        ap('debounce_ms'),
        `"debounce_ms" must be a number of ms from 0 to 1000`,
        'an edge counts once the level stayed put this long: 0 for a flow meter, 10–25 for a mechanical contact',
      );
      return undefined;
    }
    return { name, model: m, pin, edge, debounce_ms: debounce, pull };
  }
  const att = attributes.attenuation_db ?? 11;
  if (att !== 0 && att !== 2.5 && att !== 6 && att !== 11) {
    issues.error(ap('attenuation_db'), `"attenuation_db" must be 0, 2.5, 6 or 11`);
    return undefined;
  }
  const unit = attributes.unit;
  if (unit !== undefined && typeof unit !== 'string') {
    issues.error(ap('unit'), `"unit" must be a string, e.g. "bar"`);
    return undefined;
  }
  const cal = calibration(name, attributes, joinPath(path, 'attributes'), issues);
  if (cal === undefined) return undefined;
  return {
    name,
    model: m,
    pin,
    ...cal,
    ...(unit === undefined ? {} : { unit }),
    attenuation_db: att,
  };
}

/** in_min/in_max/out_min/out_max or scale/offset → {scale, offset}. */
function calibration(
  name: string,
  a: Record<string, unknown>,
  attrsPath: string,
  issues: IssueList,
): { scale: number; offset: number } | undefined {
  const ap = (k: string) => joinPath(attrsPath, k);
  const range = ['in_min', 'in_max', 'out_min', 'out_max'];
  const hasRange = range.some((k) => a[k] !== undefined);
  const hasLinear = a.scale !== undefined || a.offset !== undefined;
  const hint =
    'give "in_min"/"in_max" (volts at the pin) and "out_min"/"out_max" (units), e.g. 4–20 mA over 150 Ω: 0.6, 3.0 → 0, 10 (bar); or "scale" and "offset" (value = scale·V + offset)';
  if (hasRange === hasLinear) {
    issues.error(
      attrsPath,
      hasRange
        ? `sensor "${name}" (analog_linear) has both in_min/in_max/out_min/out_max and scale/offset: give one`
        : `sensor "${name}" (analog_linear) needs a calibration: in_min/in_max/out_min/out_max or scale/offset`,
      hint,
    );
    return undefined;
  }
  if (hasLinear) {
    const scale = a.scale ?? 1;
    const offset = a.offset ?? 0;
    if (!finite(scale) || !finite(offset) || scale === 0) {
      issues.error(ap('scale'), `"scale" (not 0) and "offset" must be numbers`, hint);
      return undefined;
    }
    return { scale, offset };
  }
  for (const k of range)
    if (!finite(a[k])) {
      issues.error(ap(k), `"${k}" must be a number`, hint);
      return undefined;
    }
  const [inMin, inMax, outMin, outMax] = range.map((k) => a[k] as number) as [
    number,
    number,
    number,
    number,
  ];
  if (inMax === inMin || outMax === outMin) {
    issues.error(ap('in_max'), `"in_min"/"in_max" and "out_min"/"out_max" must differ`, hint);
    return undefined;
  }
  const scale = (outMax - outMin) / (inMax - inMin);
  return { scale, offset: outMin - inMin * scale };
}
