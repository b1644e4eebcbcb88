/**
 * The global object a firmware bundle sees in the emulator: the Espruino API surface and nothing
 * from Node. Built-ins Espruino/JerryScript lack (Map, Set, Symbol, Proxy, Reflect, …) are deleted
 * from the context so a bundle that leans on them fails here as it would on a board.
 */
import vm from 'node:vm';
import { crc32 } from 'node:zlib';
import { ATTEN_VOLTS, adcFraction, type Signal } from './signals.js';
import type { BoardTimers } from './timers.js';
import type { PinWatches } from './watches.js';

/** What the sandbox calls back into (the EmulatedBoard). */
export interface SandboxHost {
  timers: BoardTimers;
  analog: Record<string, Signal>;
  gpio: Record<string, Signal>;
  memory: { total: number; free: number };
  serial1: EmulatedSerial;
  loopbackA: EmulatedSerial;
  console(text: string): void;
  reboot(): void;
  requireModule(name: string): unknown;
  onAnalogRead(pin: string, boardMs: number): void;
  /** GPIO levels driven from outside and setWatch (watches.ts). */
  watches: PinWatches;
  /** The chip's temperature in °C over board time; absent: no E.getTemperature (as on a host without one). */
  temperature?: Signal;
}

/** ESP32 pins D0–D39 (Espruino ESP32 names); ADC1 only on D32–D39. */
export function pinName(pin: unknown): string {
  let name: string | undefined;
  if (typeof pin === 'number' && Number.isInteger(pin)) name = `D${pin}`;
  else if (typeof pin === 'string' && /^D\d+$/.test(pin)) name = pin;
  else if (pin && typeof pin === 'object' && typeof (pin as { name?: unknown }).name === 'string')
    name = (pin as { name: string }).name;
  const n = name ? Number(name.slice(1)) : NaN;
  if (!(n >= 0 && n <= 39)) throw new Error('Invalid pin!');
  return name as string;
}

const ADC1 = new Set(['D32', 'D33', 'D34', 'D35', 'D36', 'D37', 'D38', 'D39']);

/** An Espruino serial object (Serial1, LoopbackA) as the firmware sees it. */
export class EmulatedSerial {
  baud = 0;
  setupOptions: Record<string, unknown> | undefined;
  private dataListeners: ((d: string) => void)[] = [];

  constructor(
    readonly name: string,
    private readonly out: (data: string) => void,
    private readonly makeConsole: (name: string) => void,
  ) {}

  setup(baud: number, opts?: Record<string, unknown>): void {
    this.baud = baud;
    this.setupOptions = opts;
  }

  write(data: unknown): void {
    this.out(String(data));
  }

  print(data: unknown): void {
    this.out(String(data));
  }

  println(data: unknown): void {
    this.out(`${String(data)}\r\n`);
  }

  on(event: string, fn: (d: string) => void): void {
    if (event === 'data') this.dataListeners.push(fn);
  }

  removeAllListeners(event?: string): void {
    if (event === undefined || event === 'data') this.dataListeners = [];
  }

  setConsole(): void {
    this.makeConsole(this.name);
  }

  hasListeners(): boolean {
    return this.dataListeners.length > 0;
  }

  deliver(chunk: string): void {
    for (const fn of this.dataListeners) fn(chunk);
  }
}

const NOT_ON_ESPRUINO = [
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'FinalizationRegistry',
  'Symbol',
  'Proxy',
  'Reflect',
  'BigInt',
  'BigInt64Array',
  'BigUint64Array',
  'Intl',
  'WebAssembly',
  'SharedArrayBuffer',
  'Atomics',
  'AggregateError',
  'queueMicrotask',
  'structuredClone',
  'escape',
  'unescape',
  'eval',
];

export function createSandbox(host: SandboxHost): vm.Context {
  const atten = new Map<string, number>();
  const t = host.timers;
  const level = (p: string): number => {
    const driven = host.watches.level(p);
    if (driven !== undefined) return driven;
    const sig = host.gpio[p];
    return sig && sig(t.boardMs()) ? 1 : 0;
  };
  const api = {
    getTime: () => t.boardMs() / 1000,
    setTimeout: (fn: () => void, ms: number) => t.setTimeout(fn, ms),
    setInterval: (fn: () => void, ms: number) => t.setInterval(fn, ms),
    clearTimeout: (id: number) => t.clear(id),
    clearInterval: (id: number) => t.clear(id),
    analogRead: (pin: unknown) => {
      const p = pinName(pin);
      if (!ADC1.has(p)) return NaN;
      const ms = t.boardMs();
      host.onAnalogRead(p, ms);
      const sig = host.analog[p];
      return adcFraction(sig ? sig(ms) : 0, ATTEN_VOLTS[atten.get(p) ?? 3] ?? 3.3);
    },
    digitalRead: (pin: unknown) => level(pinName(pin)),
    digitalWrite: (pin: unknown) => void pinName(pin),
    pinMode: (pin: unknown) => void pinName(pin),
    setWatch: (fn: () => void, pin: unknown, opts?: Record<string, unknown>) => {
      const p = pinName(pin);
      return host.watches.add(fn, p, opts ?? {}, level(p));
    },
    clearWatch: (id: unknown) => host.watches.clear(id),
    getSerial: () => '30aea4000000-emu',
    Serial1: host.serial1,
    LoopbackA: host.loopbackA,
    ESP32: {
      setAtten: (pin: unknown, code: number) => {
        const p = pinName(pin);
        if (!(code >= 0 && code <= 3)) throw new Error('Invalid attenuation');
        atten.set(p, code);
      },
    },
    E: {
      CRC32: (s: unknown) => crc32(Buffer.from(String(s), 'latin1')),
      reboot: () => host.reboot(),
      getSizeOf: () => 1,
      ...(host.temperature === undefined
        ? {}
        : { getTemperature: () => (host.temperature as Signal)(t.boardMs()) }),
    },
    process: {
      memory: () => ({
        free: host.memory.free,
        usage: host.memory.total - host.memory.free,
        total: host.memory.total,
        history: 0,
        gc: 0,
        gctime: 0,
        blocksize: 14,
      }),
      env: { VERSION: '2v25-wharf-emu', BOARD: 'ESP32' },
      version: '2v25',
    },
    console: {
      log: (...a: unknown[]) =>
        host.console(
          `${a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}\r\n`,
        ),
    },
    require: (name: string) => host.requireModule(name),
  };
  const ctx = vm.createContext(api, {
    name: 'espruino',
    codeGeneration: { strings: false, wasm: false },
  });
  vm.runInContext(
    `${NOT_ON_ESPRUINO.map((n) => `delete globalThis.${n};`).join('')} delete Array.from; delete Array.of; delete Object.assign; delete Object.entries; delete Object.values;`,
    ctx,
  );
  vm.runInContext('globalThis.global = globalThis;', ctx);
  return ctx;
}
