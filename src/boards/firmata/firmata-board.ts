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
 * Parts: firmata-open.ts (port, firmata-io, johnny-five handshake), firmata-reads.ts (readers and
 * pins, report subscriptions, reads), firmata-io.ts (pin mapping), report-waiters.ts.
 */
import { existsSync } from 'node:fs';
import type { SerialPort } from 'serialport';
import type {
  Board,
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
import type { ReadingData } from '../../shared/record.js';
import { parseSerialAddress, type SerialAddress } from '../serial/address.js';
import { LinkWatcher } from '../protocol/link.js';
import { BoardEmitter } from '../board-emitter.js';
import type { FirmataIo } from './firmata-io.js';
import { FIRMATA_SAMPLING_MS, firmataFirmware, openFirmata } from './firmata-open.js';
import { FirmataReads } from './firmata-reads.js';

export { FIRMATA_SAMPLING_MS } from './firmata-open.js';

export class FirmataBoard extends BoardEmitter implements Board {
  readonly id: string;
  private port: SerialPort | undefined;
  private io: FirmataIo | undefined;
  private connecting: Promise<BoardIdentity> | undefined;
  private identityValue: BoardIdentity | undefined;
  private readonly reads: FirmataReads;
  private readonly watcher: LinkWatcher;
  private epoch = 0;
  private readonly addr: SerialAddress;

  constructor(
    spec: { id: string; address: URL | string; hardware: BoardHardwareConfig },
    clock: Clock,
    logger: Logger = nullLogger,
    private readonly o: { connectTimeoutMs?: number; reconnectPollMs?: number } = {},
  ) {
    super(clock, logger);
    this.id = spec.id;
    this.addr = parseSerialAddress(spec.address, 57600);
    this.hardware = spec.hardware;
    this.reads = new FirmataReads(clock, spec.id);
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
      this.reads.check(e.method, e.readers);
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
    this.reads.check(method, readers);
    return this.reads.read(this.io!, method, readers, opts.timeoutMs);
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
    const { port, io, ready } = openFirmata(
      this.addr,
      this.id,
      this.o.connectTimeoutMs ?? 10_000,
      this.clock,
      this.logger,
    );
    this.port = port;
    this.io = io;
    try {
      await ready;
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
    port.on('close', () => {
      if (epoch === this.epoch && this.stateValue === 'online')
        this.down('offline', `${this.addr.path} closed`);
    });
    port.on('error', (e: Error) => {
      if (epoch === this.epoch && this.stateValue === 'online')
        this.down('offline', `${this.addr.path}: ${errorMessage(e)}`);
    });
    this.reads.listen(io, this.hardware, this.logger);
    const firmware = firmataFirmware(io);
    this.identityValue = {
      boardId: this.id,
      firmware,
      protocol: 1,
      capabilities: {
        analogs: [...this.reads.analogChannel.keys()],
        pins: [...this.reads.digitalPin.keys()],
        maxHz: 1000 / FIRMATA_SAMPLING_MS,
        streamed: false,
      },
    };
    this.setState('online');
    return this.identityValue;
  }

  private down(state: 'offline' | 'closed', reason: string): void {
    this.epoch++;
    this.teardown();
    const err = new WharfError('BOARD_DISCONNECTED', `Firmata board ${this.id}: ${reason}`);
    this.reads.rejectAll(err);
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
}

export function firmataFactory(deps: { clock: Clock; logger?: Logger }): BoardFactory {
  return {
    scheme: 'firmata',
    create: (spec) =>
      new FirmataBoard(spec, deps.clock, deps.logger?.child({ board: spec.id }) ?? nullLogger),
  };
}
