/**
 * Wire protocol v1 message types (docs/protocol.md) and the validating decoder for frames the
 * board sends. A frame that is not a JSON object, lacks `t`, or has wrong field types is a *bad
 * frame*: it is counted by the caller and never turned into a value. Unknown `t` values are
 * returned as `unknown` (forward compatibility) and ignored.
 */

import { WIRE } from './wire.js';

export { WIRE } from './wire.js';
export const PROTOCOL_VERSION: number = WIRE.v;
/** Longest frame (bytes, without the newline) either side may send. */
export const MAX_FRAME_BYTES: number = WIRE.maxFrame;

export interface HiFrame {
  t: 'hi';
  v: number;
  bid: string;
  id?: number;
  fw: string;
  clk: number;
  /** `rs`: 1 when the board re-sends batches on request (firmware extension) */
  caps: { hz: number; st: number; rs?: number };
  /** boot id (firmware extension): the same value means the board kept running */
  bt?: string;
  /** the plan the board is running (firmware extension), with its batch interval */
  pl?: PlanEntryFrame[];
  bms?: number;
}
/** One entry of a `plan` frame (and of `hi.pl`). */
export interface PlanEntryFrame {
  k: string;
  /** `S`: board-side sensors (extension; each reader a sensor name of `cfg.s`) */
  m: 'A' | 'G' | 'S';
  r: string[];
  hz: number;
}
export interface OkFrame {
  t: 'ok';
  id: number;
  a?: [string, number, number, number][];
  p?: string[];
  /** cfg: the board-side sensors the board accepted (extension) */
  s?: string[];
  [extra: string]: unknown;
}
export interface ErrFrame {
  t: 'err';
  id: number;
  code: string;
  msg?: string;
}
export interface ValFrame {
  t: 'val';
  id: number;
  clk: number;
  v: number[];
}
export interface PongFrame {
  t: 'pong';
  id: number;
  g: number;
  clk: number;
  /** boot id (firmware extension): a different one than in `hi` means the board restarted */
  bt?: string;
}
export interface BatchFrame {
  t: 'b';
  k: string;
  s: number;
  t0: number;
  dt: number;
  v: number[][];
}
export interface GapFrame {
  t: 'gap';
  k?: string;
  why: string;
  n: number;
  t0: number;
  t1: number;
  /** backlog_overflow: the sequence numbers of the evicted batches (firmware extension) */
  s0?: number;
  s1?: number;
}
export interface UnknownFrame {
  t: 'unknown';
  type: string;
}

export type BoardFrame =
  HiFrame | OkFrame | ErrFrame | ValFrame | PongFrame | BatchFrame | GapFrame | UnknownFrame;

/** Frames the gateway sends (without `id`; the waitress assigns it). */
export type GatewayRequest =
  | { t: 'hello'; v: number; lt?: number }
  | { t: 'cfg'; a: [string, string][]; p: string[]; s?: (string | number)[][]; lt?: number }
  | { t: 'plan'; e: PlanEntryFrame[]; bms: number; lt?: number }
  | { t: 'read'; m: 'A' | 'G' | 'S'; r: string[] }
  | { t: 'ping'; g: number };

export type DecodeResult = { ok: true; frame: BoardFrame } | { ok: false; reason: string };

const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isInt = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNumArray = (x: unknown): x is number[] => Array.isArray(x) && x.every(isNum);

function isPlanEntry(x: unknown): x is PlanEntryFrame {
  if (x === null || typeof x !== 'object') return false;
  const e = x as Record<string, unknown>;
  return (
    isStr(e.k) &&
    (e.m === WIRE.analogs || e.m === WIRE.gpio || e.m === WIRE.sensors) &&
    Array.isArray(e.r) &&
    e.r.every(isStr) &&
    isNum(e.hz) &&
    e.hz > 0
  );
}

function bad(reason: string): DecodeResult {
  return { ok: false, reason };
}

/** Decode one frame (one line / one MQTT payload) sent by a board. Never throws. */
export function decodeBoardFrame(text: string): DecodeResult {
  if (text.length > MAX_FRAME_BYTES) return bad(`frame longer than ${MAX_FRAME_BYTES} bytes`);
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return bad('not JSON');
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return bad('not a JSON object');
  const f = o as Record<string, unknown>;
  const t = f.t;
  if (!isStr(t)) return bad("missing type field 't'");
  switch (t) {
    case WIRE.hi: {
      const caps = f.caps as Record<string, unknown> | undefined;
      if (!isInt(f.v) || !isStr(f.bid) || !isStr(f.fw) || !isNum(f.clk))
        return bad('hi: v/bid/fw/clk missing or of the wrong type');
      if (f.id !== undefined && !isInt(f.id)) return bad('hi: id is not an integer');
      if (caps === null || typeof caps !== 'object' || !isNum(caps.hz) || !isNum(caps.st))
        return bad('hi: caps {hz, st} missing');
      const hi: HiFrame = {
        t: 'hi',
        v: f.v,
        bid: f.bid,
        fw: f.fw,
        clk: f.clk,
        caps: { hz: caps.hz, st: caps.st, ...(isNum(caps.rs) ? { rs: caps.rs } : {}) },
      };
      if (f.id !== undefined) hi.id = f.id as number;
      if (isStr(f.bt)) hi.bt = f.bt;
      // a malformed plan report is ignored (the gateway then sends its own plan), not a bad frame
      if (Array.isArray(f.pl) && f.pl.every(isPlanEntry)) hi.pl = f.pl;
      if (isNum(f.bms) && f.bms > 0) hi.bms = f.bms;
      return { ok: true, frame: hi };
    }
    case WIRE.ok: {
      if (!isInt(f.id)) return bad('ok: id is not an integer');
      if (f.a !== undefined) {
        const a = f.a;
        if (
          !Array.isArray(a) ||
          !a.every(
            (x) =>
              Array.isArray(x) &&
              x.length >= 4 &&
              isStr(x[0]) &&
              isNum(x[1]) &&
              isNum(x[2]) &&
              isNum(x[3]),
          )
        ) {
          return bad('ok: a must be [[name, min_v, max_v, step_v], …]');
        }
      }
      if (f.p !== undefined && !(Array.isArray(f.p) && f.p.every(isStr)))
        return bad('ok: p must be a list of pin names');
      if (f.s !== undefined && !(Array.isArray(f.s) && f.s.every(isStr)))
        return bad('ok: s must be a list of sensor names');
      return { ok: true, frame: f as OkFrame };
    }
    case WIRE.err:
      if (!isInt(f.id) || !isStr(f.code)) return bad('err: id/code missing');
      return {
        ok: true,
        frame: { t: 'err', id: f.id, code: f.code, ...(isStr(f.msg) ? { msg: f.msg } : {}) },
      };
    case WIRE.val:
      if (!isInt(f.id) || !isNum(f.clk) || !isNumArray(f.v))
        return bad('val: id/clk/v missing or of the wrong type');
      return { ok: true, frame: { t: 'val', id: f.id, clk: f.clk, v: f.v } };
    case WIRE.pong:
      if (!isInt(f.id) || !isNum(f.g) || !isNum(f.clk))
        return bad('pong: id/g/clk missing or of the wrong type');
      return {
        ok: true,
        frame: { t: 'pong', id: f.id, g: f.g, clk: f.clk, ...(isStr(f.bt) ? { bt: f.bt } : {}) },
      };
    case WIRE.batch:
      if (!isStr(f.k) || !isInt(f.s) || !isNum(f.t0) || !isNum(f.dt) || !(f.dt > 0))
        return bad('b: k/s/t0/dt missing or of the wrong type');
      if (!Array.isArray(f.v) || !f.v.every(isNumArray))
        return bad('b: v must be [[…], …] of numbers');
      return {
        ok: true,
        frame: { t: 'b', k: f.k, s: f.s, t0: f.t0, dt: f.dt, v: f.v as number[][] },
      };
    case WIRE.gap:
      if (!isStr(f.why) || !isInt(f.n) || !isNum(f.t0) || !isNum(f.t1))
        return bad('gap: why/n/t0/t1 missing or of the wrong type');
      if (f.t1 < f.t0) return bad('gap: t1 is before t0');
      return {
        ok: true,
        frame: {
          t: 'gap',
          why: f.why,
          n: f.n,
          t0: f.t0,
          t1: f.t1,
          ...(isStr(f.k) ? { k: f.k } : {}),
          ...(isInt(f.s0) && isInt(f.s1) && f.s0 <= f.s1 ? { s0: f.s0, s1: f.s1 } : {}),
        },
      };
    default:
      return { ok: true, frame: { t: 'unknown', type: t } };
  }
}

/** Encode a gateway frame as one line of JSON (without the newline). */
export function encodeFrame(frame: Record<string, unknown>): string {
  return JSON.stringify(frame);
}
