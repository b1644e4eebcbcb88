/**
 * Board-side sensors on the wire (docs/protocol.md, `cfg.s` and method "S"): the `cfg.s` item of a
 * sensor, and its samples (flat numbers) → `Readings` data, a map of named `{value, unit?}`.
 *  - pulse_counter  [name, "pulse", pin, edge, debounce ms, pull] → count (edges since the previous
 *    sample), total (edges since the counter started: board boot or a changed definition)
 *  - analog_linear  [name, "lin", pin, scale, offset, att dB]     → value (scale·V + offset, `unit`), volts
 *  - chip_temperature [name, "temp"]                              → temp_c
 */
import type { BoardSensor, CaptureMethod } from '../board.js';
import type { SensorValue } from '../../shared/record.js';
import { WIRE } from './wire.js';

export interface SensorField {
  name: string;
  unit?: string;
}

/** The plan/read method letter of a capture method. */
export function wireMethod(m: CaptureMethod): 'A' | 'G' | 'S' {
  return m === 'Analogs' ? WIRE.analogs : m === 'Readings' ? WIRE.sensors : WIRE.gpio;
}

/** A sensor as the board agent takes it in `cfg.s`. */
export function sensorCfg(s: BoardSensor): (string | number)[] {
  if (s.model === 'pulse_counter')
    return [s.name, WIRE.pulse, s.pin, s.edge, s.debounce_ms, s.pull === 'none' ? '' : s.pull];
  if (s.model === 'analog_linear')
    return [s.name, WIRE.linear, s.pin, s.scale, s.offset, s.attenuation_db];
  return [s.name, WIRE.temp];
}

/** The named values of one sample of a sensor, in the order the board sends them. */
export function sensorLayout(s: BoardSensor): SensorField[] {
  if (s.model === 'pulse_counter') return [{ name: 'count' }, { name: 'total' }];
  if (s.model === 'analog_linear')
    return [
      s.unit === undefined ? { name: 'value' } : { name: 'value', unit: s.unit },
      { name: 'volts', unit: 'V' },
    ];
  return [{ name: 'temp_c', unit: 'C' }];
}

/**
 * The layout of a sample of these sensors (one sensor: its own names; several, as in a polled read
 * of many: `<sensor>.<name>`), or the name of an unknown sensor.
 */
export function layoutOf(
  readers: readonly string[],
  sensors: ReadonlyMap<string, BoardSensor>,
): SensorField[] | string {
  const out: SensorField[] = [];
  for (const r of readers) {
    const s = sensors.get(r);
    if (s === undefined) return r;
    for (const f of sensorLayout(s))
      out.push(readers.length === 1 ? f : { ...f, name: `${r}.${f.name}` });
  }
  return out;
}

/** One sample → `Readings` data; undefined when the width does not match the layout. */
export function sensorData(
  layout: readonly SensorField[],
  row: readonly number[],
): Record<string, SensorValue> | undefined {
  if (row.length !== layout.length) return undefined;
  const out: Record<string, SensorValue> = {};
  for (let i = 0; i < layout.length; i++) {
    const f = layout[i]!;
    out[f.name] = f.unit === undefined ? { value: row[i]! } : { value: row[i]!, unit: f.unit };
  }
  return out;
}
