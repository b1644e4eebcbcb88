/**
 * Link budget: bytes per second each board link must carry for the plan, against what the link
 * can carry. A plan over 100% of a link cannot work (refused with the numbers); above 70% it is
 * warned about (no headroom for retries, backlog catch-up, REPL noise).
 *
 * Frame sizes follow wire protocol v1 (docs/protocol.md):
 *  - streamed (rate above STREAM_ABOVE_HZ): a batch `{"t":"b","k":"1.0","s":123,"t0":123456.789,"dt":10,"v":[…]}`
 *    every `bms` ms ≈ 60 bytes + per sample (readers × 5 + 3) bytes ("4095," per value, "[…],").
 *  - polled: per read a request down (~45 bytes) and `{"t":"val","id":12,"clk":123456.789,"v":[…]}` up
 *    ≈ 40 + readers × 5 bytes.
 *  - board-side sensors (`Readings`): up to 2 values of ≈ 12 characters per sensor instead of 5.
 *  - Firmata: the board reports every enabled analog pin every sampling interval (3 bytes each) and
 *    a digital port (3 bytes) per change; the sampling interval bounds the rate (StandardFirmata
 *    default 19 ms, wharf sets 10 ms → at most 100 Hz).
 * Capacities: serial = baud / 10 bytes/s (8N1: 10 bits per byte, each direction); MQTT = a nominal
 * 100 kB/s per board over WiFi (configurable); sim = unlimited.
 */
import type { CapturePlan, PlanEntry } from '../config/plan.js';
import { WharfError } from '../shared/errors.js';
import { parseSimAddress } from './sim-options.js';

export const STREAM_ABOVE_HZ = 2;
export const BATCH_MS = 100;
export const WARN_RATIO = 0.7;
export const FIRMATA_MIN_INTERVAL_MS = 10;
export const MQTT_NOMINAL_BYTES_PER_S = 100_000;
/** The highest rate the wharf firmware can be built for (`wharf firmware build --max-hz`, ≤ 2000). */
export const PROTOCOL_MAX_HZ = 2000;

/** The highest rate any board on this transport can sample one entry at, with why. */
export function rateCeiling(board: { transport: string; address: string }): {
  hz: number;
  why: string;
} {
  switch (board.transport) {
    case 'firmata':
      return {
        hz: 1000 / FIRMATA_MIN_INTERVAL_MS,
        why: `Firmata samples at most every ${FIRMATA_MIN_INTERVAL_MS} ms`,
      };
    case 'sim': {
      let hz = 1000;
      try {
        hz = parseSimAddress(board.address).maxHz;
      } catch {
        // a malformed sim address is the config layer's error; keep the default ceiling
      }
      return { hz, why: `the sim board accepts at most ${hz} Hz (its maxhz option)` };
    }
    case 'serial':
    case 'mqtt':
      return {
        hz: PROTOCOL_MAX_HZ,
        why: `the wharf firmware samples at most ${PROTOCOL_MAX_HZ} Hz (built with --max-hz, default 200)`,
      };
    default:
      return { hz: Infinity, why: '' };
  }
}

export interface LinkBudget {
  board: string;
  transport: string;
  /** What the link can carry (bytes/s, board → gateway), Infinity when unlimited. */
  capacity: number;
  /** What the plan needs (bytes/s, board → gateway). */
  demand: number;
  /** demand / capacity (0 when unlimited). */
  ratio: number;
  level: 'ok' | 'warn' | 'over';
  /** Human explanation with the numbers. */
  message: string;
  perEntry: { key: string; bytesPerS: number; mode: 'streamed' | 'polled' }[];
}

export interface BudgetOptions {
  mqttBytesPerS?: number;
}

function serialBaud(address: string, fallback: number): number {
  try {
    const b = Number(new URL(address).searchParams.get('baud') ?? fallback);
    return Number.isFinite(b) && b > 0 ? b : fallback;
  } catch {
    return fallback;
  }
}

/** Bytes/s board → gateway for one entry over the JSON protocol. */
export function protocolEntryBytes(
  e: Pick<PlanEntry, 'hz' | 'readers'> & { method?: PlanEntry['method'] },
): {
  bytesPerS: number;
  mode: 'streamed' | 'polled';
} {
  const readers = Math.max(1, e.readers.length) * (e.method === 'Readings' ? 5 : 1);
  if (e.hz > STREAM_ABOVE_HZ) {
    const batchesPerS = Math.min(1000 / BATCH_MS, e.hz) + e.hz / 50; // a batch also closes at 50 samples
    return { bytesPerS: batchesPerS * 60 + e.hz * (readers * 5 + 3), mode: 'streamed' };
  }
  return { bytesPerS: e.hz * (40 + readers * 5), mode: 'polled' };
}

function firmataEntryBytes(e: Pick<PlanEntry, 'hz' | 'readers' | 'method'>): number {
  const reports = 1000 / FIRMATA_MIN_INTERVAL_MS;
  // Firmata reports analog pins at the sampling interval whatever the capture rate.
  return e.method === 'Analogs'
    ? Math.max(1, e.readers.length) * 3 * reports
    : 3 * Math.min(e.hz, reports);
}

const fmt = (b: number) => (b >= 10_000 ? `${(b / 1000).toFixed(1)} kB/s` : `${Math.round(b)} B/s`);

export function linkBudget(plan: CapturePlan, opts: BudgetOptions = {}): LinkBudget[] {
  const out: LinkBudget[] = [];
  for (const board of plan.boards) {
    const entries = plan.entries.filter((e) => e.boardId === board.id && e.supported);
    if (entries.length === 0) continue;
    let capacity = Infinity;
    let what = '';
    switch (board.transport) {
      case 'serial': {
        const baud = serialBaud(board.address, 115200);
        capacity = baud / 10;
        what = `serial at ${baud} baud carries ${fmt(capacity)}`;
        break;
      }
      case 'firmata': {
        const baud = serialBaud(board.address, 57600);
        capacity = baud / 10;
        what = `Firmata at ${baud} baud carries ${fmt(capacity)}`;
        break;
      }
      case 'mqtt':
        capacity = opts.mqttBytesPerS ?? MQTT_NOMINAL_BYTES_PER_S;
        what = `MQTT over WiFi, nominal ${fmt(capacity)} per board`;
        break;
      default:
        what = `${board.transport} has no byte limit`;
    }
    const perEntry = entries.map((e) => {
      if (board.transport === 'firmata')
        return { key: e.key, bytesPerS: firmataEntryBytes(e), mode: 'polled' as const };
      return { key: e.key, ...protocolEntryBytes(e) };
    });
    const demand = perEntry.reduce((s, x) => s + x.bytesPerS, 0);
    const ratio = Number.isFinite(capacity) ? demand / capacity : 0;
    let level: LinkBudget['level'] = ratio > 1 ? 'over' : ratio > WARN_RATIO ? 'warn' : 'ok';
    const ceiling = rateCeiling(board);
    const tooFast = entries.filter((e) => e.hz > ceiling.hz);
    let message = `board ${board.id}: plan needs ${fmt(demand)}; ${what} → ${Number.isFinite(capacity) ? `${Math.round(ratio * 100)}%` : 'ok'}`;
    if (tooFast.length > 0) {
      level = 'over';
      message += `; ${ceiling.why} (${ceiling.hz} Hz) but ${tooFast.map((e) => `${e.method} at ${e.hz} Hz`).join(', ')} is asked`;
    }
    if (level === 'over')
      message +=
        tooFast.length > 0 && ratio <= 1
          ? ' — impossible: lower the capture frequency'
          : ' — impossible: lower the capture frequency, capture fewer readers, or raise the baud rate';
    else if (level === 'warn')
      message += ` — above ${WARN_RATIO * 100}%: little headroom for retries and backlog`;
    out.push({
      board: board.id,
      transport: board.transport,
      capacity,
      demand,
      ratio,
      level,
      message,
      perEntry,
    });
  }
  return out;
}

/** Throws BOARD_LINK_BUDGET naming every link the plan cannot fit; returns the warnings. */
export function checkLinkBudget(plan: CapturePlan, opts: BudgetOptions = {}): LinkBudget[] {
  const all = linkBudget(plan, opts);
  const over = all.filter((b) => b.level === 'over');
  if (over.length > 0)
    throw new WharfError('BOARD_LINK_BUDGET', over.map((b) => b.message).join('\n'), {
      details: { links: over.map((b) => b.board) },
    });
  return all.filter((b) => b.level === 'warn');
}
