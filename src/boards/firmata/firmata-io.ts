/**
 * What wharf uses of firmata-io, and how a board config's readers and pins map onto a Firmata
 * board's analog channels and digital pins once the board has reported its capabilities.
 */
import type { EventEmitter } from 'node:events';
import type { SerialPort } from 'serialport';
import type { BoardHardwareConfig } from '../board.js';
import type { Logger } from '../../shared/logger.js';

/** The slice of firmata-io's Firmata class wharf uses. */
export interface FirmataIo extends EventEmitter {
  isReady: boolean;
  analogPins: number[];
  firmware: { name?: string; version?: { major: number; minor: number } };
  MODES: { INPUT: number };
  pinMode(pin: number, mode: number): void;
  reportAnalogPin(channel: number, on: 0 | 1): void;
  reportDigitalPin(pin: number, on: 0 | 1): void;
  setSamplingInterval(ms: number): void;
  pins: { value?: number; report?: number }[];
}
export type FirmataCtor = new (port: SerialPort, opts: Record<string, unknown>) => FirmataIo;
export type FiveBoardCtor = new (
  opts: Record<string, unknown>,
) => EventEmitter & { isReady: boolean };

/**
 * Fills `analogChannel` (reader → analog channel) and `digitalPin` (pin name → pin number) from the
 * config; a reader or pin the board does not have is skipped with a warning.
 */
export function mapFirmataHardware(
  io: FirmataIo,
  hardware: BoardHardwareConfig,
  analogChannel: Map<string, number>,
  digitalPin: Map<string, number>,
  logger: Logger,
  boardId: string,
): void {
  analogChannel.clear();
  digitalPin.clear();
  for (const a of hardware.analogs) {
    const m = /^A?(\d+)$/i.exec(a.pin);
    if (m === null) {
      logger.warn(
        { board: boardId, reader: a.name, pin: a.pin },
        'analog pin is not A<n> or a number; reader skipped',
      );
      continue;
    }
    const n = Number(m[1]);
    const byPin = io.analogPins.indexOf(n);
    const ch = /^A/i.test(a.pin) ? n : byPin >= 0 ? byPin : n;
    if (ch < io.analogPins.length) analogChannel.set(a.name, ch);
    else
      logger.warn(
        { board: boardId, reader: a.name, pin: a.pin },
        'no such analog channel on this board; reader skipped',
      );
  }
  for (const p of hardware.pins) {
    const n = Number(p);
    if (Number.isInteger(n) && n >= 0 && n < io.pins.length) digitalPin.set(p, n);
    else logger.warn({ board: boardId, pin: p }, 'no such digital pin on this board; pin skipped');
  }
}
