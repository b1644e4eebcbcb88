/** `serial:///dev/ttyUSB0?baud=115200` (also `/dev/serial/by-id/…`), `firmata:///dev/ttyACM0?baud=57600`. */
import { WharfError } from '../../shared/errors.js';

export interface SerialAddress {
  path: string;
  baud: number;
}

const BAUDS = [
  1200, 2400, 4800, 9600, 19200, 38400, 57600, 74880, 115200, 230400, 250000, 460800, 500000,
  921600, 1000000, 2000000,
];

export function parseSerialAddress(address: URL | string, defaultBaud = 115200): SerialAddress {
  const url = typeof address === 'string' ? new URL(address) : address;
  const shown = url.href;
  if (url.host !== '')
    throw new WharfError(
      'CONFIG_INVALID',
      `serial address ${shown}: expected three slashes and an absolute device path, e.g. serial:///dev/ttyUSB0?baud=115200`,
    );
  const path = decodeURIComponent(url.pathname);
  if (!path.startsWith('/') || path === '/')
    throw new WharfError(
      'CONFIG_INVALID',
      `serial address ${shown}: no device path; write e.g. serial:///dev/ttyUSB0?baud=115200`,
    );
  let baud = defaultBaud;
  for (const [k, v] of url.searchParams) {
    if (k === 'baud') {
      baud = Number(v);
      if (!Number.isInteger(baud) || !BAUDS.includes(baud))
        throw new WharfError(
          'CONFIG_INVALID',
          `serial address ${shown}: baud=${v} is not a standard rate (${BAUDS.join(', ')})`,
        );
    } else
      throw new WharfError(
        'CONFIG_INVALID',
        `serial address ${shown}: unknown option '${k}' (only baud=…)`,
      );
  }
  return { path, baud };
}
