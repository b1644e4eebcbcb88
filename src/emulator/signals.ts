/**
 * Scripted inputs for an emulated board: analog waveforms in volts and GPIO patterns (0/1), each a
 * pure function of the board clock in ms, so a test knows the exact value a sample must carry.
 */
export type Signal = (boardMs: number) => number;

export const constant =
  (v: number): Signal =>
  () =>
    v;

/** offset + amplitude · sin(2π t / period) volts. */
export const sine =
  (o: { offset: number; amplitude: number; periodMs: number; phaseMs?: number }): Signal =>
  (t) =>
    o.offset + o.amplitude * Math.sin((2 * Math.PI * (t + (o.phaseMs ?? 0))) / o.periodMs);

/** Sawtooth from `from` to `to` volts over `periodMs`: the value tells when the sample was taken. */
export const ramp =
  (o: { from: number; to: number; periodMs: number }): Signal =>
  (t) =>
    o.from + ((o.to - o.from) * (((t % o.periodMs) + o.periodMs) % o.periodMs)) / o.periodMs;

/** 1 for the first `duty` fraction of each period, else 0. */
export const square =
  (o: { periodMs: number; duty?: number; phaseMs?: number }): Signal =>
  (t) => {
    const x = (((t + (o.phaseMs ?? 0)) % o.periodMs) + o.periodMs) % o.periodMs;
    return x < (o.duty ?? 0.5) * o.periodMs ? 1 : 0;
  };

/** Full-scale volts per ESP32 attenuation code (ESP32.setAtten): 0 dB, 2.5 dB, 6 dB, 11 dB. */
export const ATTEN_VOLTS = [1.1, 1.5, 2.2, 3.3] as const;

/** What `analogRead` returns for `volts` on a 12-bit ADC with full scale `fullScale`: k/4096. */
export function adcFraction(volts: number, fullScale: number): number {
  const raw = Math.max(0, Math.min(4095, Math.floor((volts / fullScale) * 4096)));
  return raw / 4096;
}

/** The raw count the firmware reports for `volts` (the inverse the HIL suite checks against). */
export function expectedRaw(volts: number, fullScale = 3.3): number {
  return Math.round(adcFraction(volts, fullScale) * 4096);
}

/** Default inputs: the HIL fixture plus moving signals so charts have something to show. */
export function demoInputs(): { analog: Record<string, Signal>; gpio: Record<string, Signal> } {
  return {
    analog: {
      D34: constant(1.65),
      D35: constant(0),
      D32: ramp({ from: 0, to: 3.3, periodMs: 1000 }),
      D33: sine({ offset: 1.65, amplitude: 1.2, periodMs: 5000 }),
      D36: sine({ offset: 1.0, amplitude: 0.5, periodMs: 60_000 }),
      D39: sine({ offset: 2.0, amplitude: 0.8, periodMs: 2000, phaseMs: 500 }),
    },
    gpio: {
      D27: constant(1),
      D26: constant(0),
      D25: square({ periodMs: 2000 }),
      D14: square({ periodMs: 500, duty: 0.2 }),
    },
  };
}
