/**
 * The simulated hardware behind a sim board: analog readers producing a waveform (raw ADC counts),
 * GPIO pins toggling every half period, and script overrides so tests can dictate exact values.
 * Values are a pure function of (seed, reader, time): the same seed gives the same readings.
 */
import type { BoardHardwareConfig, CaptureMethod } from './board.js';
import type { AnalogValue, GpioValue, ReadingData } from '../shared/record.js';
import { WharfError } from '../shared/errors.js';
import { hashString, noiseAt, type SimOptions } from './sim-options.js';

interface Channel {
  index: number;
  /** Phase offset in periods, [0, 1). */
  phase: number;
}

export class SimHardware {
  /** Without a hardware config every reader/pin name is accepted (the sim invents it). */
  readonly permissive: boolean;
  private readonly analogs: string[];
  private readonly pins: string[];
  private readonly channels = new Map<string, Channel>();
  private readonly analogOverride = new Map<string, number>();
  private readonly pinOverride = new Map<string, boolean>();
  private readonly maxCount: number;
  private readonly step: number;

  constructor(
    private readonly opts: SimOptions,
    hardware: BoardHardwareConfig,
  ) {
    this.analogs = hardware.analogs.map((a) => a.name);
    this.pins = [...hardware.pins];
    this.permissive = this.analogs.length === 0 && this.pins.length === 0;
    this.maxCount = 2 ** opts.bits - 1;
    this.step = opts.vref / this.maxCount;
  }

  analogNames(): string[] {
    return [...this.analogs];
  }

  pinNames(): string[] {
    return [...this.pins];
  }

  /** Pin `raw` counts on this reader until cleared with undefined. */
  setAnalog(name: string, raw: number | undefined): void {
    if (raw === undefined) this.analogOverride.delete(name);
    else this.analogOverride.set(name, Math.max(0, Math.min(this.maxCount, Math.round(raw))));
  }

  setPin(name: string, high: boolean | undefined): void {
    if (high === undefined) this.pinOverride.delete(name);
    else this.pinOverride.set(name, high);
  }

  /** Throws BOARD_PROTOCOL (as firmware answers `unknown_reader`/`unknown_pin`) for names it lacks. */
  check(method: CaptureMethod, names: string[]): void {
    if (this.permissive) return;
    const known = method === 'Analogs' ? this.analogs : this.pins;
    for (const n of names) {
      if (!known.includes(n)) {
        const what = method === 'Analogs' ? 'analog reader' : 'GPIO pin';
        throw new WharfError(
          'BOARD_PROTOCOL',
          `sim board ${this.opts.name} has no ${what} '${n}' (has: ${known.join(', ') || 'none'})`,
          {
            details: { code: method === 'Analogs' ? 'unknown_reader' : 'unknown_pin' },
          },
        );
      }
    }
  }

  /** One sample of `names` at gateway time `t`. */
  sample(method: CaptureMethod, names: string[], t: number): ReadingData {
    if (method === 'Analogs') {
      const out: Record<string, AnalogValue> = {};
      for (const n of names)
        out[n] = {
          value: this.analogCount(n, t),
          min_range: 0,
          max_range: this.opts.vref,
          step_size: this.step,
        };
      return out;
    }
    const out: Record<string, GpioValue> = {};
    for (const n of names) out[n] = { high: this.pinHigh(n, t) };
    return out;
  }

  analogCount(name: string, t: number): number {
    const o = this.analogOverride.get(name);
    if (o !== undefined) return o;
    const ch = this.channel(name);
    const x = t / this.opts.periodMs + ch.phase;
    const frac = x - Math.floor(x);
    let unit: number;
    switch (this.opts.wave) {
      case 'sine':
        unit = 0.5 + 0.5 * Math.sin(2 * Math.PI * frac);
        break;
      case 'square':
        unit = frac < 0.5 ? 1 : 0;
        break;
      case 'saw':
        unit = frac;
        break;
      case 'noise':
        unit = noiseAt(this.opts.seed, ch.index, Math.round(t * 1000));
        break;
    }
    return Math.round(unit * this.maxCount);
  }

  pinHigh(name: string, t: number): boolean {
    const o = this.pinOverride.get(name);
    if (o !== undefined) return o;
    const ch = this.channel(name);
    const halves = Math.floor((t / this.opts.periodMs + ch.phase) * 2);
    return halves % 2 === 0;
  }

  private channel(name: string): Channel {
    let ch = this.channels.get(name);
    if (ch === undefined) {
      ch = {
        index: this.channels.size,
        phase: (hashString(`${this.opts.seed}:${name}`) % 1000) / 1000,
      };
      this.channels.set(name, ch);
    }
    return ch;
  }
}
