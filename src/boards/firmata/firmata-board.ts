/**
 * The `firmata:///dev/ttyACM0?baud=57600` transport: Arduino-class boards running StandardFirmata,
 * through johnny-five with firmata-io on the project's own serialport (one serialport version in
 * the process: johnny-five is handed `io: new Firmata(port)` and so never loads `firmata`, whose
 * own serialport 8 stays on disk unused).
 *
 *  - Polled only (Firmata has no board-side batching): `configure()` refuses streamed entries with
 *    BOARD_UNSUPPORTED; rates above the sampling interval (10 ms → 100 Hz) are refused too.
 *  - Analogs: analog channels (config pin `A0`…`A5`, `14`…`19` or `0`…`5`), raw 0–1023, range 0–5 V.
 *    A read returns a value the board sampled after the read was asked (the second report after
 *    the request), never a cached one; no report within the timeout → BOARD_TIMEOUT.
 *  - Gpio: digital pins set to INPUT; a read re-enables the port report, which makes Firmata send
 *    the port's current state.
 *  - Unplug: 'offline' status; the board reconnects by itself once the device node is back.
 * Pin mapping: firmata-io.ts; waiting for the board's reports: report-waiters.ts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { SerialPort } from 'serialport';
import type {
  Board,
  BoardEvents,
  BoardFactory,
  BoardHardwareConfig,
  BoardIdentity,
  BoardState,
  CaptureMethod,
  ReadOptions,
  SamplingEntry,
} from '../board.js';
import type { Clock } from '../../shared/clock.js';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { AnalogValue, GpioValue, ReadingData } from '../../shared/record.js';
import { parseSerialAddress, type SerialAddress } from '../serial/address.js';
import { LinkWatcher } from '../protocol/link.js';
import {
  mapFirmataHardware,
  type FirmataCtor,
  type FirmataIo,
  type FiveBoardCtor,
} from './firmata-io.js';
import { ReportWaiters } from './report-waiters.js';

const require = createRequire(import.meta.url);

export const FIRMATA_SAMPLING_MS = 10;
const FULL_SCALE = 1023;
const RANGE_V = 5;

export class FirmataBoard extends EventEmitter<BoardEvents> implements Board {
  readonly id: string;
  private stateValue: BoardState = 'offline';
  private port: SerialPort | undefined;
  private io: FirmataIo | undefined;
  private connecting: Promise<BoardIdentity> | undefined;
  private identityValue: BoardIdentity | undefined;
  private readonly analogChannel = new Map<string, number>();
  private readonly digitalPin = new Map<string, number>();
  private readonly analogSeen = new Map<number, number>();
  private readonly analogValue = new Map<number, number>();
  private readonly digitalSeen = new Map<number, number>();
  private readonly portAsked = new Map<number, number>();
  private readonly waiters: ReportWaiters;
  private readonly watcher: LinkWatcher;
  private epoch = 0;
  private readonly addr: SerialAddress;

  constructor(
    spec: { id: string; address: URL | string; hardware: BoardHardwareConfig },
    private readonly clock: Clock,
    private readonly logger: Logger = nullLogger,
    private readonly o: { connectTimeoutMs?: number; reconnectPollMs?: number } = {},
  ) {
    super();
    this.id = spec.id;
    this.addr = parseSerialAddress(spec.address, 57600);
    this.hardware = spec.hardware;
    this.waiters = new ReportWaiters(clock);
    this.watcher = new LinkWatcher(
      clock,
      o.reconnectPollMs ?? 250,
      () => this.stateValue === 'offline' && this.connecting === undefined,
      () => existsSync(this.addr.path),
      () => this.connect(),
    );
  }

  private readonly hardware: BoardHardwareConfig;

  get state(): BoardState {
    return this.stateValue;
  }

  connect(): Promise<BoardIdentity> {
    if (this.stateValue === 'closed')
      return Promise.reject(
        new WharfError('BOARD_DISCONNECTED', `Firmata board ${this.id} is closed`),
      );
    if (this.stateValue === 'online' && this.identityValue !== undefined)
      return Promise.resolve(this.identityValue);
    this.connecting ??= this.doConnect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async configure(entries: SamplingEntry[]): Promise<void> {
    this.requireOnline();
    for (const e of entries) {
      this.check(e.method, e.readers);
      if (e.mode === 'streamed')
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `Firmata board ${this.id} cannot stream; ${e.key} must be polled`,
        );
      if (e.hz > 1000 / FIRMATA_SAMPLING_MS)
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `Firmata board ${this.id}: ${e.key} at ${e.hz} Hz is faster than Firmata's ${FIRMATA_SAMPLING_MS} ms sampling interval`,
        );
    }
  }

  async read(method: CaptureMethod, readers: string[], opts: ReadOptions): Promise<ReadingData> {
    this.requireOnline();
    this.check(method, readers);
    const io = this.io!;
    if (method === 'Analogs') {
      const chans = readers.map((r) => this.analogChannel.get(r)!);
      // Two reports after the request: the first may have been in flight already.
      await Promise.all(
        chans.map((c) => this.waitReport(`a${c}`, 2, opts.timeoutMs, `analog ${c}`)),
      );
      const out: Record<string, AnalogValue> = {};
      readers.forEach((r, i) => {
        out[r] = {
          value: this.analogValue.get(chans[i]!)!,
          min_range: 0,
          max_range: RANGE_V,
          step_size: RANGE_V / FULL_SCALE,
        };
      });
      return out;
    }
    const pins = readers.map((r) => this.digitalPin.get(r)!);
    const ports = [...new Set(pins.map((p) => p >> 3))];
    // Every port-report request is answered by one port message, in order; wait for the answers to
    // all requests still outstanding plus ours, so an answer sent before the read cannot pass for it.
    const waits = ports.map((p) => {
      const outstanding =
        Math.max(0, (this.portAsked.get(p) ?? 0) - (this.digitalSeen.get(p) ?? 0)) + 1;
      return this.waitReport(`p${p}`, outstanding, opts.timeoutMs, `digital port ${p}`);
    });
    for (const p of ports) this.askPort(io, p); // re-enabling makes Firmata send the port now
    await Promise.all(waits);
    const out: Record<string, GpioValue> = {};
    readers.forEach((r, i) => {
      out[r] = { high: io.pins[pins[i]!]?.value === 1 };
    });
    return out;
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stopWatch();
    this.down('closed', 'closed by gateway');
  }

  // --- internals -------------------------------------------------------------------------------

  private async doConnect(): Promise<BoardIdentity> {
    this.stopWatch();
    this.setState('connecting');
    const epoch = ++this.epoch;
    const { Firmata } = require('firmata-io') as { Firmata: FirmataCtor };
    const five = require('johnny-five') as { Board: FiveBoardCtor };
    const port = new SerialPort({
      path: this.addr.path,
      baudRate: this.addr.baud,
      autoOpen: false,
    });
    const io = new Firmata(port, {
      reportVersionTimeout: 300,
      samplingInterval: FIRMATA_SAMPLING_MS,
    });
    io.on('error', (e: Error) =>
      this.logger.debug({ board: this.id, err: errorMessage(e) }, 'firmata error'),
    );
    const j5 = new five.Board({
      io,
      repl: false,
      debug: false,
      sigint: false,
      timeout: this.o.connectTimeoutMs ?? 10_000,
      id: this.id,
    });
    j5.on('error', () => undefined);
    this.port = port;
    this.io = io;
    try {
      await new Promise<void>((resolve, reject) => {
        const t = this.clock.setTimer(
          () =>
            reject(
              new WharfError(
                'BOARD_TIMEOUT',
                `Firmata board ${this.id} on ${this.addr.path} did not finish the Firmata handshake within ${this.o.connectTimeoutMs ?? 10_000} ms (is StandardFirmata uploaded, and the baud rate ${this.addr.baud}?)`,
              ),
            ),
          this.o.connectTimeoutMs ?? 10_000,
        );
        j5.once('ready', () => {
          this.clock.clearTimer(t);
          resolve();
        });
        port.once('close', () => {
          this.clock.clearTimer(t);
          reject(
            new WharfError(
              'BOARD_DISCONNECTED',
              `${this.addr.path} closed during the Firmata handshake`,
            ),
          );
        });
        port.open((err) => {
          if (!err) return;
          this.clock.clearTimer(t);
          reject(
            new WharfError(
              'BOARD_DISCONNECTED',
              `cannot open ${this.addr.path}: ${err.message} (is the board plugged in, and may this user open it?)`,
              { cause: err },
            ),
          );
        });
      });
      if (epoch !== this.epoch || this.stateValue !== 'connecting')
        throw new WharfError(
          'BOARD_DISCONNECTED',
          `Firmata board ${this.id}: closed during connect`,
        );
    } catch (err) {
      if (epoch === this.epoch) {
        this.teardown();
        if (this.stateValue !== 'closed') {
          this.setState('offline', errorMessage(err));
          this.startWatch();
        }
      }
      throw err;
    }
    mapFirmataHardware(
      io,
      this.hardware,
      this.analogChannel,
      this.digitalPin,
      this.logger,
      this.id,
    );
    port.on('close', () => {
      if (epoch === this.epoch && this.stateValue === 'online')
        this.down('offline', `${this.addr.path} closed`);
    });
    port.on('error', (e: Error) => {
      if (epoch === this.epoch && this.stateValue === 'online')
        this.down('offline', `${this.addr.path}: ${errorMessage(e)}`);
    });
    for (const [, ch] of this.analogChannel) {
      io.on(`analog-read-${ch}`, (v: number) => this.onAnalog(ch, v));
      io.reportAnalogPin(ch, 1);
    }
    const ports = new Map<number, number>();
    for (const [, pin] of this.digitalPin) {
      io.pinMode(pin, io.MODES.INPUT);
      if (!ports.has(pin >> 3)) ports.set(pin >> 3, pin);
    }
    this.portAsked.clear();
    this.digitalSeen.clear();
    for (const [port, pin] of ports) {
      io.on(`digital-read-${pin}`, () => this.onPort(port)); // one listener per port: one count per message
      this.askPort(io, port);
    }
    const fw = io.firmware;
    const firmware =
      `${fw.name ?? 'Firmata'} ${fw.version === undefined ? '' : `${fw.version.major}.${fw.version.minor}`}`.trim();
    this.identityValue = {
      boardId: this.id,
      firmware,
      protocol: 1,
      capabilities: {
        analogs: [...this.analogChannel.keys()],
        pins: [...this.digitalPin.keys()],
        maxHz: 1000 / FIRMATA_SAMPLING_MS,
        streamed: false,
      },
    };
    this.setState('online');
    return this.identityValue;
  }

  private onAnalog(ch: number, v: number): void {
    this.analogValue.set(ch, v);
    this.analogSeen.set(ch, (this.analogSeen.get(ch) ?? 0) + 1);
    this.waiters.arrived(`a${ch}`);
  }

  private askPort(io: FirmataIo, port: number): void {
    this.portAsked.set(port, (this.portAsked.get(port) ?? 0) + 1);
    io.reportDigitalPin(port * 8, 1);
  }

  private onPort(port: number): void {
    this.digitalSeen.set(port, (this.digitalSeen.get(port) ?? 0) + 1);
    this.waiters.arrived(`p${port}`);
  }

  private waitReport(key: string, count: number, timeoutMs: number, what: string): Promise<void> {
    return this.waiters.wait(
      key,
      count,
      timeoutMs,
      `Firmata board ${this.id}: no report of ${what} within ${timeoutMs} ms`,
    );
  }

  private down(state: 'offline' | 'closed', reason: string): void {
    this.epoch++;
    this.teardown();
    const err = new WharfError('BOARD_DISCONNECTED', `Firmata board ${this.id}: ${reason}`);
    this.waiters.rejectAll(err);
    this.setState(state, reason);
    if (state === 'offline') this.startWatch();
  }

  private teardown(): void {
    const port = this.port;
    this.port = undefined;
    const io = this.io;
    this.io = undefined;
    io?.removeAllListeners();
    // firmata re-emits its transport's errors: a write still queued when the port closes fails
    // (EBADF) after teardown, and an 'error' without a listener would end the process
    io?.on('error', () => undefined);
    if (port?.isOpen) port.close(() => undefined);
  }

  private startWatch(): void {
    if (this.stateValue !== 'closed') this.watcher.start();
  }

  private stopWatch(): void {
    this.watcher.stop();
  }

  private requireOnline(): void {
    if (this.stateValue !== 'online' || this.io === undefined)
      throw new WharfError(
        'BOARD_DISCONNECTED',
        `Firmata board ${this.id} (${this.addr.path}) is ${this.stateValue}: connect() first`,
      );
  }

  private check(method: CaptureMethod, readers: string[]): void {
    const known = method === 'Analogs' ? this.analogChannel : this.digitalPin;
    for (const r of readers) {
      if (!known.has(r))
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `Firmata board ${this.id}: ${method === 'Analogs' ? 'analog reader' : 'pin'} '${r}' is not in its board config (known: ${[...known.keys()].join(', ') || 'none'})`,
        );
    }
  }

  private setState(state: BoardState, reason?: string): void {
    this.stateValue = state;
    try {
      this.emit('status', {
        state,
        at: this.clock.now(),
        ...(reason === undefined ? {} : { reason }),
      });
    } catch (err) {
      this.logger.error(
        { board: this.id, err: errorMessage(err) },
        'a board status listener threw',
      );
    }
  }
}

export function firmataFactory(deps: { clock: Clock; logger?: Logger }): BoardFactory {
  return {
    scheme: 'firmata',
    create: (spec) =>
      new FirmataBoard(spec, deps.clock, deps.logger?.child({ board: spec.id }) ?? nullLogger),
  };
}
