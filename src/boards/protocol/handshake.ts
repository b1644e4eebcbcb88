/** The identify and configure steps of the handshake (hello → hi, cfg → ok), as plain functions. */
import type { BoardHardwareConfig } from '../board.js';
import { WharfError, isWharfError } from '../../shared/errors.js';
import {
  PROTOCOL_VERSION,
  WIRE,
  type BoardFrame,
  type GatewayRequest,
  type HiFrame,
  type OkFrame,
} from './messages.js';
import { sensorCfg } from './sensor-values.js';

export type Ask = (req: GatewayRequest, signal?: AbortSignal) => Promise<BoardFrame>;

/** Subscribes to the board announcing itself (an unsolicited `hi`); returns the unsubscribe. */
export type Announcements = (fn: () => void) => () => void;

/**
 * `hello` until answered (a booting board may miss the first); refuses another protocol version.
 * A board that announces itself (unsolicited `hi`, sent when its side of the link comes up) while a
 * `hello` waits has just become able to hear us: that `hello` was likely sent into the void, so the
 * wait is given up and the next attempt is sent at once instead of after `requestTimeoutMs`. (The
 * last attempt is not cut short; an answer to a given-up `hello` is a late answer.)
 */
export async function askHello(
  ask: Ask,
  attempts: number,
  who: string,
  lt: { lt?: number },
  announced?: Announcements,
): Promise<HiFrame> {
  let hi: HiFrame | undefined;
  for (let i = 0; i < attempts && hi === undefined; i++) {
    const last = i === attempts - 1;
    const giveUp = new AbortController();
    const off = last ? undefined : announced?.(() => giveUp.abort(new Error('board announced')));
    try {
      const f = await ask({ t: WIRE.hello, v: PROTOCOL_VERSION, ...lt }, giveUp.signal);
      if (f.t === WIRE.hi) hi = f;
    } catch (err) {
      if (giveUp.signal.aborted) continue; // the board just came up: ask again now
      if (!isWharfError(err, 'BOARD_TIMEOUT') || last) throw err;
    } finally {
      off?.();
    }
  }
  if (hi === undefined) throw new WharfError('BOARD_PROTOCOL', `${who} did not identify itself`);
  if (hi.v !== PROTOCOL_VERSION) {
    throw new WharfError(
      'BOARD_PROTOCOL',
      `${who} speaks wire protocol v${hi.v}, the gateway v${PROTOCOL_VERSION}: flash matching firmware (wharf firmware build)`,
    );
  }
  return hi;
}

export interface CfgResult {
  ranges: Map<string, [number, number, number]>;
  pins: Set<string>;
  /** Board-side sensors the board accepted (`s`, firmware extension). */
  sensors: Set<string>;
  /** Readers/pins/sensors the board refused (`x`, firmware extension): [name, code, why?]. */
  refused: unknown[];
}

/** Send the remote part's board config; the answer gives each reader's voltage range and the accepted pins. */
export async function askCfg(
  ask: Ask,
  hw: BoardHardwareConfig,
  lt: { lt?: number },
): Promise<CfgResult> {
  const ok = (await ask({
    t: 'cfg',
    a: hw.analogs.map((a) => [a.name, a.pin]),
    p: [...hw.pins],
    ...(hw.sensors?.length ? { s: hw.sensors.map(sensorCfg) } : {}),
    ...lt,
  })) as OkFrame;
  return {
    ranges: new Map((ok.a ?? []).map((x) => [x[0], [x[1], x[2], x[3]]])),
    pins: new Set(ok.p ?? []),
    sensors: new Set(ok.s ?? []),
    refused: Array.isArray(ok.x) ? ok.x : [],
  };
}
