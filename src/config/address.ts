/**
 * Remote `address` → transport. wharf reaches boards through transport URLs:
 *   sim://NAME?wave=sine&…          simulated board (options: see src/boards/sim-options.ts)
 *   serial:///dev/ttyUSB0?baud=115200
 *   mqtt://BOARD-ID                 board publishing to the gateway's MQTT broker
 *   firmata:///dev/ttyACM0?baud=57600
 * Any other address on a remote (a Viam cloud host such as `x.viam.cloud:80`) names a board that
 * dials in: it connects to the gateway's MQTT broker and logs in with the remote's `name` and
 * `secret` (see `dialInAddress`). On a local board component it is listed with transport
 * 'unsupported' and a warning: wharf cannot reach it, so its methods are not scheduled.
 */
import { hideUserinfo } from '../shared/secrets.js';

export const TRANSPORTS = ['sim', 'serial', 'mqtt', 'firmata'] as const;
export const UNSUPPORTED = 'unsupported';

export interface AddressProblem {
  severity: 'error' | 'warning';
  message: string;
  hint: string;
}

export interface ParsedAddress {
  transport: string;
  problems: AddressProblem[];
}

const EXAMPLES =
  'sim://line1, serial:///dev/ttyUSB0?baud=115200, mqtt://esp-1 or firmata:///dev/ttyACM0?baud=57600';

/** True when `raw` is not a wharf transport URL (e.g. a Viam cloud host `x.viam.cloud:80`). */
export function isForeignAddress(raw: string): boolean {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  return scheme === undefined || !(TRANSPORTS as readonly string[]).includes(scheme);
}

/** The transport address of a remote whose address is foreign: the board dials in over MQTT as `name`. */
export function dialInAddress(name: string): string {
  return `mqtt://${encodeURIComponent(name)}`;
}

/** One line for explain and check: how a dial-in remote is reached. */
export function dialInNote(name: string, address: string): string {
  return `remote "${name}" (address ${hideUserinfo(address)}) dials in: the board connects to this gateway's MQTT broker and logs in as "${name}" with the remote's secret`;
}

export function parseBoardAddress(raw: string): ParsedAddress {
  const address = hideUserinfo(raw); // for messages only
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw);
  const scheme = m?.[1]?.toLowerCase();
  if (scheme === undefined || !(TRANSPORTS as readonly string[]).includes(scheme)) {
    return {
      transport: UNSUPPORTED,
      problems: [
        {
          severity: 'warning',
          message: `address "${address}" is not a wharf transport; this board is listed but not reached and its capture methods are not scheduled`,
          hint: `to capture from it, give a transport URL: ${EXAMPLES}`,
        },
      ],
    };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return {
      transport: scheme,
      problems: [
        {
          severity: 'error',
          message: `address "${address}" is not a valid URL`,
          hint: `write e.g. ${EXAMPLES}`,
        },
      ],
    };
  }
  const problems: AddressProblem[] = [];
  const rawTarget =
    url.hostname !== '' ? url.hostname + url.pathname.replace(/^\/$/, '') : url.pathname;
  let target: string;
  try {
    target = decodeURIComponent(rawTarget);
  } catch {
    // `%E0` and the like: decodeURIComponent throws URIError (found by fuzzing)
    return {
      transport: scheme,
      problems: [
        {
          severity: 'error',
          message: `address "${address}" has a malformed %-escape`,
          hint: 'write % as %25, or spell the board name or device path without escapes',
        },
      ],
    };
  }
  const baud = url.searchParams.get('baud');
  switch (scheme) {
    case 'sim':
      if (target === '')
        problems.push({
          severity: 'error',
          message: `address "${address}" has no board name`,
          hint: 'write sim://NAME, e.g. sim://line1?wave=sine',
        });
      break;
    case 'mqtt':
      if (target === '')
        problems.push({
          severity: 'error',
          message: `address "${address}" has no board id`,
          hint: 'write mqtt://BOARD-ID, the id the board uses on the broker, e.g. mqtt://esp-1',
        });
      break;
    case 'serial':
    case 'firmata':
      if (target === '') {
        problems.push({
          severity: 'error',
          message: `address "${address}" has no device path`,
          hint: `write ${scheme}:///dev/ttyUSB0 (three slashes before an absolute path)`,
        });
      }
      if (baud !== null && !/^[1-9]\d*$/.test(baud)) {
        problems.push({
          severity: 'error',
          message: `address "${address}": baud=${baud} is not a positive whole number`,
          hint: 'e.g. baud=115200 (serial) or baud=57600 (Firmata)',
        });
      }
      break;
  }
  return { transport: scheme, problems };
}

/** `scheme://user:pass@host` → `scheme://***@host`: addresses are printed, credentials never. */
export { hideUserinfo };
