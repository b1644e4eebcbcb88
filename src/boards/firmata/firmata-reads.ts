/**
 * Reading a Firmata board: which config reader/pin is which analog channel/digital pin, the report
 * subscriptions set up once the board is open, and a read that waits for reports the board sent
 * after it was asked (never a cached value). Waiting for the reports themselves: report-waiters.ts.
 */
import type { CaptureMethod, BoardHardwareConfig } from '../board.js';
import type { Clock } from '../../shared/clock.js';
import { WharfError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { AnalogValue, GpioValue, ReadingData } from '../../shared/record.js';
import { mapFirmataHardware, type FirmataIo } from './firmata-io.js';
import { ReportWaiters } from './report-waiters.js';

const FULL_SCALE = 1023;
const RANGE_V = 5;

export class FirmataReads {
  readonly analogChannel = new Map<string, number>();
  readonly digitalPin = new Map<string, number>();
  private readonly analogSeen = new Map<number, number>();
  private readonly analogValue = new Map<number, number>();
  private readonly digitalSeen = new Map<number, number>();
  private readonly portAsked = new Map<number, number>();
  private readonly waiters: ReportWaiters;

  constructor(
    clock: Clock,
    private readonly boardId: string,
  ) {
    this.waiters = new ReportWaiters(clock);
  }

  /** Map the config onto the open board and subscribe to its analog and digital port reports. */
  listen(io: FirmataIo, hardware: BoardHardwareConfig, logger: Logger): void {
    mapFirmataHardware(io, hardware, this.analogChannel, this.digitalPin, logger, this.boardId);
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
  }

  async read(
    io: FirmataIo,
    method: CaptureMethod,
    readers: string[],
    timeoutMs: number,
  ): Promise<ReadingData> {
    if (method === 'Analogs') {
      const chans = readers.map((r) => this.analogChannel.get(r)!);
      // Two reports after the request: the first may have been in flight already.
      await Promise.all(chans.map((c) => this.waitReport(`a${c}`, 2, timeoutMs, `analog ${c}`)));
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
      return this.waitReport(`p${p}`, outstanding, timeoutMs, `digital port ${p}`);
    });
    for (const p of ports) this.askPort(io, p); // re-enabling makes Firmata send the port now
    await Promise.all(waits);
    const out: Record<string, GpioValue> = {};
    readers.forEach((r, i) => {
      out[r] = { high: io.pins[pins[i]!]?.value === 1 };
    });
    return out;
  }

  /** Throws BOARD_UNSUPPORTED for a reader/pin that is not in the board config. */
  check(method: CaptureMethod, readers: string[]): void {
    const known = method === 'Analogs' ? this.analogChannel : this.digitalPin;
    for (const r of readers) {
      if (!known.has(r))
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `Firmata board ${this.boardId}: ${method === 'Analogs' ? 'analog reader' : 'pin'} '${r}' is not in its board config (known: ${[...known.keys()].join(', ') || 'none'})`,
        );
    }
  }

  /** The link went: every waiting read fails with `err`. */
  rejectAll(err: Error): void {
    this.waiters.rejectAll(err);
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
      `Firmata board ${this.boardId}: no report of ${what} within ${timeoutMs} ms`,
    );
  }
}
