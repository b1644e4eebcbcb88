/**
 * Board-side sensors in the config: a remote part's `type: sensor` components (pulse_counter,
 * analog_linear, chip_temperature) become part of the board config sent in `cfg`, and their
 * `Readings` capture methods are entries of the board (readers = the sensor), captured only on
 * boards that run the wharf agent.
 */
import { describe, expect, it } from 'vitest';
import { mergeHardware } from '../../src/boards/registry.js';
import { BOARD, errors, load, method, planOf, warnings } from './helpers.js';

const readings = (hz: number) => method({ method: 'Readings', capture_frequency_hz: hz });

const SENSORS = [
  {
    name: 'parts',
    type: 'sensor',
    model: 'pulse_counter',
    attributes: { pin: 14, debounce_ms: 10, pull: 'up' },
    service_configs: [readings(1)],
  },
  {
    name: 'pressure',
    type: 'sensor',
    model: 'analog_linear',
    attributes: { pin: '34', in_min: 0.6, in_max: 3.0, out_min: 0, out_max: 10, unit: 'bar' },
    service_configs: [readings(5)],
  },
  {
    name: 'chip',
    type: 'sensor',
    model: 'wharf:chip_temperature',
    service_configs: [readings(0.2)],
  },
];

const config = (address: string, sensors: unknown[] = SENSORS) => ({
  services: [{ name: 'data_manager', type: 'data_manager', attributes: {} }],
  remotes: [{ name: 'esp', address, components: [BOARD, ...sensors] }],
});

describe('board-side sensors in the remote part config', () => {
  it('become the board config sent in cfg and Readings entries of the board', () => {
    const plan = planOf(load(config('serial:///dev/ttyUSB0')));
    const hw = mergeHardware(plan.boards[0]!);
    expect(hw.sensors).toEqual([
      {
        name: 'parts',
        model: 'pulse_counter',
        pin: '14',
        edge: 'rising',
        debounce_ms: 10,
        pull: 'up',
      },
      {
        name: 'pressure',
        model: 'analog_linear',
        pin: '34',
        scale: 10 / 2.4,
        offset: -0.6 * (10 / 2.4),
        unit: 'bar',
        attenuation_db: 11,
      },
      { name: 'chip', model: 'chip_temperature' },
    ]);
    const s = plan.entries.filter((e) => e.component_type === 'sensor');
    expect(s.map((e) => [e.key, e.readers, e.hz, e.supported])).toEqual([
      ['esp/sensor/parts/Readings/parts', ['parts'], 1, true],
      ['esp/sensor/pressure/Readings/pressure', ['pressure'], 5, true],
      ['esp/sensor/chip/Readings/chip', ['chip'], 0.2, true],
    ]);
    // 4–20 mA over 150 Ω → 0–10 bar: the ends of the range map exactly
    const p = hw.sensors![1] as { scale: number; offset: number };
    expect(0.6 * p.scale + p.offset).toBeCloseTo(0, 12);
    expect(3.0 * p.scale + p.offset).toBeCloseTo(10, 12);
  });

  it('scale/offset is the other way to calibrate; both at once, neither, or a missing pin is an error', () => {
    const lin = (attributes: Record<string, unknown>) =>
      load(
        config('mqtt://esp', [{ name: 'p', type: 'sensor', model: 'analog_linear', attributes }]),
      );
    const ok = planOf(lin({ pin: 35, scale: 2, offset: -1 }));
    expect(mergeHardware(ok.boards[0]!).sensors).toEqual([
      { name: 'p', model: 'analog_linear', pin: '35', scale: 2, offset: -1, attenuation_db: 11 },
    ]);
    for (const bad of [
      { pin: 35, scale: 2, in_min: 0, in_max: 1, out_min: 0, out_max: 1 },
      { pin: 35 },
      { scale: 2 },
      { pin: 35, scale: 2, attenuation_db: 7 },
      { pin: 35, in_min: 1, in_max: 1, out_min: 0, out_max: 10 },
    ])
      expect(errors(lin(bad)).length, JSON.stringify(bad)).toBeGreaterThan(0);
    const pc = (attributes: Record<string, unknown>) =>
      load(
        config('mqtt://esp', [{ name: 'c', type: 'sensor', model: 'pulse_counter', attributes }]),
      );
    expect(errors(pc({ pin: 14, edge: 'up' }))[0]?.path).toMatch(/edge$/);
    expect(errors(pc({ pin: 14, debounce_ms: -1 }))[0]?.path).toMatch(/debounce_ms$/);
    expect(errors(pc({ pin: 14, pull: 'sideways' }))[0]?.path).toMatch(/pull$/);
  });

  it('on a board without the wharf agent (sim, Firmata) they are listed, not captured, with a warning', () => {
    const r = load(config('firmata:///dev/ttyACM0'));
    const plan = planOf(r);
    expect(
      plan.entries.filter((e) => e.component_type === 'sensor').every((e) => !e.supported),
    ).toBe(true);
    expect(warnings(r).some((w) => /read by the wharf board agent/.test(w.message))).toBe(true);
  });

  it('an unknown sensor model on a remote is listed, not captured, with a warning naming the models', () => {
    const r = load(
      config('serial:///dev/ttyUSB0', [
        { name: 'hum', type: 'sensor', model: 'bme280', service_configs: [readings(1)] },
      ]),
    );
    const plan = planOf(r);
    expect(plan.entries.find((e) => e.component_name === 'hum')?.supported).toBe(false);
    expect(warnings(r).some((w) => /pulse_counter/.test(w.message ?? ''))).toBe(true);
  });
});
