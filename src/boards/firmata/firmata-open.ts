/**
 * Opening a Firmata board: the project's serialport, firmata-io on it, johnny-five on that (so
 * johnny-five never loads `firmata` and its own serialport), and the wait for johnny-five's
 * `ready` bounded by the connect timeout, with errors that say what to check.
 */
import { createRequire } from 'node:module';
import { SerialPort } from 'serialport';
import type { Clock } from '../../shared/clock.js';
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { SerialAddress } from '../serial/address.js';
import type { FirmataCtor, FirmataIo, FiveBoardCtor } from './firmata-io.js';

const require = createRequire(import.meta.url);

export const FIRMATA_SAMPLING_MS = 10;

export interface FirmataOpening {
  port: SerialPort;
  io: FirmataIo;
  /** Resolves on johnny-five's `ready`; rejects BOARD_TIMEOUT / BOARD_DISCONNECTED. */
  ready: Promise<void>;
}

/** Starts opening: `port` and `io` exist at once (to be torn down on failure), `ready` settles later. */
export function openFirmata(
  addr: SerialAddress,
  boardId: string,
  connectTimeoutMs: number,
  clock: Clock,
  logger: Logger,
): FirmataOpening {
  const { Firmata } = require('firmata-io') as { Firmata: FirmataCtor };
  const five = require('johnny-five') as { Board: FiveBoardCtor };
  const port = new SerialPort({ path: addr.path, baudRate: addr.baud, autoOpen: false });
  const io = new Firmata(port, {
    reportVersionTimeout: 300,
    samplingInterval: FIRMATA_SAMPLING_MS,
  });
  io.on('error', (e: Error) =>
    logger.debug({ board: boardId, err: errorMessage(e) }, 'firmata error'),
  );
  const j5 = new five.Board({
    io,
    repl: false,
    debug: false,
    sigint: false,
    timeout: connectTimeoutMs,
    id: boardId,
  });
  j5.on('error', () => undefined);
  const ready = new Promise<void>((resolve, reject) => {
    const t = clock.setTimer(
      () =>
        reject(
          new WharfError(
            'BOARD_TIMEOUT',
            `Firmata board ${boardId} on ${addr.path} did not finish the Firmata handshake within ${connectTimeoutMs} ms (is StandardFirmata uploaded, and the baud rate ${addr.baud}?)`,
          ),
        ),
      connectTimeoutMs,
    );
    j5.once('ready', () => {
      clock.clearTimer(t);
      resolve();
    });
    port.once('close', () => {
      clock.clearTimer(t);
      reject(
        new WharfError('BOARD_DISCONNECTED', `${addr.path} closed during the Firmata handshake`),
      );
    });
    port.open((err) => {
      if (!err) return;
      clock.clearTimer(t);
      reject(
        new WharfError(
          'BOARD_DISCONNECTED',
          `cannot open ${addr.path}: ${err.message} (is the board plugged in, and may this user open it?)`,
          { cause: err },
        ),
      );
    });
  });
  return { port, io, ready };
}

/** The firmware string johnny-five learned from the board ("StandardFirmata.ino 2.5"). */
export function firmataFirmware(io: FirmataIo): string {
  const fw = io.firmware;
  return `${fw.name ?? 'Firmata'} ${fw.version === undefined ? '' : `${fw.version.major}.${fw.version.minor}`}`.trim();
}
