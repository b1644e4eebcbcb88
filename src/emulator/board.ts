/**
 * An emulated ESP32 running a compiled firmware bundle (never the TS source) in a `node:vm`
 * context that exposes only the Espruino API (sandbox.ts). Serial1 is wired to a real pty or an
 * in-memory wire, input delivered in ≤ 32-byte chunks; `require("MQTT")` talks to a real broker.
 * Time is real or virtual (any Clock). The bench can pull and restore the link, reboot the board
 * (its clock steps back to 0) and reflash it.
 */
import vm from 'node:vm';
import { realClock, type Clock } from '../shared/clock.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import { EspruinoMqtt, type MqttHost } from './mqtt-module.js';
import { EspruinoRepl } from './repl.js';
import { createSandbox, EmulatedSerial } from './sandbox.js';
import type { SerialBinding } from './serial-binding.js';
import type { Signal } from './signals.js';
import { BoardTimers } from './timers.js';
import { PinWatches, type PulseOptions } from './watches.js';

export interface EmulatedBoardOptions {
  /** The built bundle (firmware/build/wharf-agent.*.js). */
  code: string;
  clock?: Clock;
  logger?: Logger;
  /** What Serial1 is wired to (serial builds). */
  serial?: SerialBinding;
  /** Broker URL the MQTT module connects to instead of the bundle's host:port. */
  mqttUrl?: string;
  /** Analog inputs in volts, by Espruino pin name ("D34"). */
  analog?: Record<string, Signal>;
  /** GPIO inputs 0/1 by pin name ("D27"). */
  gpio?: Record<string, Signal>;
  /** The chip's temperature in °C; absent: the interpreter has no E.getTemperature. */
  temperatureC?: Signal;
  /** Espruino variables; `free` defaults to what an ESP32 has left after this bundle. */
  memory?: { total?: number; free?: number };
  /** Print Espruino's boot banner on Serial1 before the code runs (REPL noise), default true. */
  banner?: boolean;
  driftPpm?: number;
  /** Bytes per chunk delivered to Serial1 'data' (≤ 32 on ESP32). */
  chunkBytes?: number;
  /**
   * Sees every frame the firmware writes towards the gateway (serial: each write, also into a pulled
   * cable; MQTT: each publish on `…/up` while connected), for tests that count what the board sent.
   */
  onUplink?: (text: string) => void;
}

const BANNER =
  '\r\n _____                 _\r\n|   __|___ ___ ___ _ _|_|___ ___\r\n|   __|_ -| . |  _| | | |   | . |\r\n|_____|___|  _|_| |___|_|_|_|___|\r\n          |_| espruino.com\r\n 2v25 (c) 2024 G.Williams\r\n\r\n>';

export class EmulatedBoard {
  readonly clock: Clock;
  readonly timers: BoardTimers;
  /** Uncaught errors from the firmware (Espruino would print "Uncaught …"). */
  readonly errors: unknown[] = [];
  /** Text the firmware printed to its console, wherever the console was. */
  consoleText = '';
  /** Where the console is: 'Serial1' at boot, 'LoopbackA' once the firmware moved it. */
  consoleOn = 'Serial1';
  boots = 0;
  /** Board ms of recent analogRead calls, per pin (bounded), for timing accuracy. */
  readonly analogReads: { pin: string; ms: number }[] = [];
  /** Flash storage: `.bootcde` is the code that runs at boot (what SAVE_ON_SEND writes). */
  readonly files = new Map<string, string>();
  private readonly repl: EspruinoRepl;
  private readonly logger: Logger;
  private serial1!: EmulatedSerial;
  private loopbackA!: EmulatedSerial;
  private linkPulled = false;
  private readonly mqttClients = new Set<EspruinoMqtt>();
  private stopped = false;
  private readonly memory: { total: number; free: number };
  private readonly watches: PinWatches;

  constructor(private readonly opts: EmulatedBoardOptions) {
    this.files.set('.bootcde', opts.code);
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? nullLogger;
    this.timers = new BoardTimers(this.clock, (err) => this.uncaught(err), opts.driftPpm ?? 0);
    this.watches = new PinWatches(this.clock, () => this.timers);
    const total = opts.memory?.total ?? 16383;
    this.memory = {
      total,
      free: opts.memory?.free ?? Math.max(0, total - Math.ceil(opts.code.length / 6) - 1200),
    };
    this.repl = new EspruinoRepl({
      write: (text) => this.toHost(text),
      reset: () => this.boot(false),
      load: () => this.boot(true),
      files: this.files,
      env: { VERSION: '2v25', BOARD: 'ESP32', MODULES: 'Wifi,Storage,net', CONSOLE: 'Serial1' },
    });
    opts.serial?.onData((data) => this.fromHost(data));
  }

  /** Boots the board: fresh context, clock at 0, runs the bundle. */
  start(): this {
    this.boot();
    return this;
  }

  get linkIsPulled(): boolean {
    return this.linkPulled;
  }

  /** Pull the cable / drop WiFi: serial bytes are lost both ways, MQTT connections are cut. */
  pullLink(): void {
    this.linkPulled = true;
    for (const m of this.mqttClients) m.cut();
  }

  restoreLink(): void {
    this.linkPulled = false;
  }

  /** Power-cycle: all state gone, the clock steps back to 0, the flashed code runs again. */
  reboot(): void {
    if (this.stopped) return;
    this.boot();
  }

  /** Writes new code to "flash" and reboots into it. */
  flash(code: string): void {
    this.files.set('.bootcde', code);
    this.reboot();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watches.stopTrains();
    this.halt();
    await this.opts.serial?.close();
  }

  /** Drives a GPIO input from outside (setWatch sees the edge; digitalRead the level). */
  drive(pin: string, level: number): void {
    this.watches.drive(pin, level);
  }

  /** `n` pulses on a GPIO input (a flow meter, a parts sensor), optionally with contact bounce. */
  pulses(pin: string, n: number, o?: PulseOptions): Promise<void> {
    return this.watches.pulses(pin, n, o);
  }

  /** Free Espruino variables process.memory() reports from now on (the backlog sizes from it). */
  setFreeMemory(free: number): void {
    this.memory.free = free;
  }

  /** Whether the firmware's MQTT client has a session (CONNACK received, not dropped since). */
  mqttConnected(): boolean {
    for (const m of this.mqttClients) if (m.connected) return true;
    return false;
  }

  /** Gateway-comparable wall-clock ms of a board clock reading of the current boot. */
  boardToWall(boardMs: number): number {
    return this.timers.toHostMs(boardMs);
  }

  /** Timers alive on the board (an Espruino process with none left has stopped). */
  liveTimers(): number {
    return this.timers.count();
  }

  private halt(): void {
    this.timers.reset();
    this.watches.reset();
    for (const m of this.mqttClients) m.drop();
    this.mqttClients.clear();
  }

  private boot(runCode = true): void {
    this.halt();
    this.boots++;
    this.consoleOn = 'Serial1';
    this.serial1 = new EmulatedSerial(
      'Serial1',
      (d) => this.toHost(d),
      (n) => (this.consoleOn = n),
    );
    this.loopbackA = new EmulatedSerial(
      'LoopbackA',
      () => undefined,
      (n) => (this.consoleOn = n),
    );
    if (this.opts.banner !== false) this.toHost(BANNER);
    const host: MqttHost = {
      defer: (fn) => this.timers.defer(fn),
      url: this.opts.mqttUrl,
      pulled: () => this.linkPulled,
      track: (m) => this.mqttClients.add(m),
      sent: (topic, msg) => {
        if (topic.endsWith('/up')) this.opts.onUplink?.(msg);
      },
    };
    const ctx = createSandbox({
      timers: this.timers,
      analog: this.opts.analog ?? {},
      gpio: this.opts.gpio ?? {},
      memory: this.memory,
      watches: this.watches,
      ...(this.opts.temperatureC === undefined ? {} : { temperature: this.opts.temperatureC }),
      serial1: this.serial1,
      loopbackA: this.loopbackA,
      console: (text) => this.console(text),
      reboot: () => setImmediate(() => this.reboot()),
      requireModule: (name) => this.requireModule(name, host),
      onAnalogRead: (pin, ms) => {
        this.analogReads.push({ pin, ms });
        if (this.analogReads.length > 20000) this.analogReads.splice(0, 10000);
      },
    });
    if (!runCode) return;
    try {
      vm.runInContext(this.files.get('.bootcde') ?? '', ctx, {
        filename: 'wharf-agent.js',
        timeout: 2000,
      });
    } catch (err) {
      this.uncaught(err);
    }
  }

  private requireModule(name: string, host: MqttHost): unknown {
    if (name === 'MQTT')
      return {
        create: (server: string, o: Record<string, unknown>) =>
          new EspruinoMqtt(host, server, o ?? {}),
      };
    if (name === 'Wifi')
      return {
        connect: (ssid: string, _o: unknown, cb?: (err: unknown) => void) => {
          this.logger.debug({ ssid }, 'emulated WiFi connect');
          if (cb) this.timers.setTimeout(() => cb(null), 20);
        },
        on: () => undefined,
        getIP: () => ({ ip: '127.0.0.1' }),
      };
    throw new Error(`Module ${name} not found`);
  }

  private console(text: string): void {
    this.consoleText += text;
    if (this.consoleText.length > 65536) this.consoleText = this.consoleText.slice(-32768);
    if (this.consoleOn === 'Serial1') this.toHost(text);
  }

  private uncaught(err: unknown): void {
    this.errors.push(err);
    this.logger.warn({ err: String(err) }, 'emulated board: uncaught error in firmware');
    this.console(`Uncaught ${String(err)}\r\n`);
  }

  private toHost(data: string): void {
    if (this.stopped) return;
    this.opts.onUplink?.(data);
    if (this.linkPulled) return;
    this.opts.serial?.write(data);
  }

  private fromHost(data: string): void {
    if (this.linkPulled || this.stopped) return;
    const n = this.opts.chunkBytes ?? 32;
    for (let i = 0; i < data.length; i += n) {
      const chunk = data.slice(i, i + n);
      // the UART keeps its bytes across reset(), so delivery is not a board timer
      this.clock.setTimer(() => {
        if (this.stopped) return;
        // while the console is on Serial1 the REPL takes the bytes, not 'data' listeners
        if (this.consoleOn !== 'Serial1') this.serial1.deliver(chunk);
        else this.repl.input(chunk);
      }, 0);
    }
  }
}
