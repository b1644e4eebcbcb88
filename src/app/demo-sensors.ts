/**
 * The board-side sensors (docs/sensors.md) of the demo's emulated ESP32s: a pulse counter fed by a
 * steady emulated pulse source (a parts sensor on a conveyor) and an analog pin calibrated to bar
 * (a 4–20 mA pressure transmitter over a 150 Ω shunt), each captured with `Readings`. They are
 * declared with the same attributes a remote part's config uses and read through the config
 * layer's own checks, so the demo sends the board exactly what such a config would.
 */
import type { BoardSensor, BoardSpec, PlanEntry } from '../config/plan.js';
import { IssueList } from '../config/issues.js';
import { readBoardSensor } from '../config/board-sensors.js';
import { WharfError } from '../shared/errors.js';

/** The emulated parts sensor: pulses per second on its pin (5 Hz: 100 ms high, 100 ms low). */
export const DEMO_PULSE_HZ = 5;
/** The emulator's name of the pulse counter's pin. */
export const DEMO_PULSE_PIN = 'D14';

interface DemoSensor {
  /** Component name after the board id: `esp32-serial-parts-out`. */
  suffix: string;
  model: 'pulse_counter' | 'analog_linear';
  attributes: Record<string, unknown>;
  hz: number;
  /** What the banner says about it. */
  about: string;
}

const SENSORS: readonly DemoSensor[] = [
  {
    suffix: 'parts-out',
    model: 'pulse_counter',
    attributes: { pin: 14, edge: 'rising' },
    hz: 1,
    about: `pulse_counter on ${DEMO_PULSE_PIN}, ${DEMO_PULSE_HZ} pulses/s`,
  },
  {
    suffix: 'line-pressure',
    model: 'analog_linear',
    // D39 carries 2.0 ± 0.8 V (emulator/signals.ts demoInputs): 2.5–9.2 bar
    attributes: { pin: 39, in_min: 0.6, in_max: 3.0, out_min: 0, out_max: 10, unit: 'bar' },
    hz: 10,
    about: 'analog_linear on D39, 0.6–3.0 V → 0–10 bar',
  },
];

function boardSensor(boardId: string, s: DemoSensor): BoardSensor {
  const issues = new IssueList();
  const name = `${boardId}-${s.suffix}`;
  const sensor = readBoardSensor(name, s.model, s.attributes, name, issues);
  if (sensor === undefined || issues.hasErrors)
    throw new WharfError(
      'INTERNAL',
      `demo sensor ${name}: ${issues.items.map((i) => i.message).join('; ')}`,
    );
  return sensor;
}

/** The sensor components of one emulated ESP32 and their `Readings` entries. */
export function demoSensors(
  boardId: string,
  tags: readonly string[],
): { components: BoardSpec['components']; entries: PlanEntry[] } {
  const components: BoardSpec['components'] = [];
  const entries: PlanEntry[] = [];
  for (const s of SENSORS) {
    const sensor = boardSensor(boardId, s);
    const name = sensor.name;
    components.push({
      name,
      type: 'sensor',
      hardware: { analogs: [], pins: [], sensors: [sensor] },
    });
    entries.push({
      key: `${boardId}/sensor/${name}/Readings/${name}`,
      boardId,
      component_type: 'sensor',
      component_name: name,
      resource: `rdk:component:sensor/${name}`,
      method: 'Readings',
      readers: [name],
      hz: s.hz,
      additional_params: {},
      tags: [...tags],
      supported: true,
    });
  }
  return { components, entries };
}

/** The banner lines: the sensors each emulated ESP32 carries. */
export function demoSensorsBanner(): string[] {
  return SENSORS.map(
    (s, i) =>
      `${i === 0 ? '  sensors:  ' : '            '}<board>-${s.suffix}: ${s.about} (Readings ${s.hz} Hz)`,
  );
}

/** Starts the steady pulse source on a board's pulse counter pin; it stops with the board. */
export function startPulseSource(board: {
  pulses(pin: string, n: number, o: { highMs: number; lowMs: number }): Promise<void>;
}): void {
  const half = 500 / DEMO_PULSE_HZ;
  void board.pulses(DEMO_PULSE_PIN, Number.MAX_SAFE_INTEGER, { highMs: half, lowMs: half });
}
