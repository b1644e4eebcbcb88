/**
 * The Espruino API surface the board agent may touch, and nothing else. `lib` is `es5` only, so
 * Map, Set, Promise, Array.from, … do not type-check; the build's globals gate enforces the same
 * list on the emitted bundle (firmware/tools/allowlist.ts).
 */
type PinRef = number | string;

interface EspSerial {
  setup(baud: number, opts?: { rx?: PinRef; tx?: PinRef; path?: string }): void;
  write(data: string): void;
  on(event: 'data', fn: (data: string) => void): void;
  removeAllListeners(event?: string): void;
  setConsole(force?: boolean): void;
}

interface EspMemory {
  free: number;
  usage: number;
  total: number;
}

interface EspMqtt {
  connect(): void;
  disconnect(): void;
  publish(topic: string, message: string): void;
  subscribe(topic: string): void;
  on(event: 'connected' | 'disconnected', fn: () => void): void;
  on(event: 'publish', fn: (msg: { topic: string; message: string }) => void): void;
  connected?: boolean;
}

declare var Serial1: EspSerial;
declare var LoopbackA: EspSerial;
declare var E: { reboot?: () => void; getTemperature?: () => number };
declare var ESP32: { setAtten(pin: PinRef, atten: number): void };
/** Optional: only behind `typeof process !== 'undefined'`. */
declare var process: { memory(): EspMemory };
/** Optional: only behind `typeof require !== 'undefined'`. */
declare function require(name: string): any;

declare function analogRead(pin: PinRef): number;
declare function digitalRead(pin: PinRef): number;
declare function pinMode(pin: PinRef, mode: string): void;
declare function setWatch(
  fn: () => void,
  pin: PinRef,
  opts: { repeat: boolean; edge: string; debounce: number },
): number;
declare function clearWatch(id: number): void;
declare function getTime(): number;
declare function setTimeout(fn: () => void, ms: number): number;
declare function clearTimeout(id: number): void;
declare function setInterval(fn: () => void, ms: number): number;
declare function clearInterval(id: number): void;

/**
 * Build-time settings, injected by the build as one object literal (firmware/tools/build.ts).
 * Short keys keep the bundle small.
 */
interface WharfSettings {
  /** board id */
  bid: string;
  /** firmware version */
  fw: string;
  /** max Hz per plan entry (caps.hz) */
  hz: number;
  /** backlog budget in variables when process.memory() is not available */
  blv: number;
  /** serial: port object (Serial1, USB, …), baud, optional device path (Espruino on Linux) */
  sp?: EspSerial;
  baud?: number;
  path?: string;
  /** mqtt: host, port, secret (MQTT password), WiFi SSID/password */
  mh?: string;
  mp?: number;
  sec?: string;
  ws?: string;
  wp?: string;
}
declare var WHARF_CFG: WharfSettings;

/** Protocol constants, injected by the build from src/boards/protocol/wire.ts (one source for both sides). */
declare var WIRE: import('../../src/boards/protocol/wire').Wire;
