/**
 * The Board contract: a small, promise-only interface every transport implements (sim, serial,
 * MQTT, Firmata). The capture engine only ever sees this interface.
 *
 * Lifecycle: connect() → identity; configure(plan) pushes the sampling plan (streamed entries start
 * sampling on the board); read() answers polled entries; 'batch' events deliver streamed readings;
 * 'status' events report online/offline; close() ends it for good.
 *
 * Errors carry a WharfError code: BOARD_DISCONNECTED, BOARD_TIMEOUT, BOARD_PROTOCOL, BOARD_AUTH,
 * BOARD_UNSUPPORTED.
 */
import type { EventEmitter } from 'node:events';
import type { GapReason, ReadingData } from '../shared/record.js';
import type { BoardHardwareConfig, BoardSpec, CaptureMethod } from '../config/plan.js';

export type { BoardHardwareConfig, BoardSensor, CaptureMethod } from '../config/plan.js';

export interface BoardCapabilities {
  /** Analog reader names the board can sample (after the board config was applied). */
  analogs: string[];
  /** GPIO pin names the board can read. */
  pins: string[];
  /** Highest sampling rate the board agent supports, per plan entry, in Hz. */
  maxHz: number;
  /** Whether the board can sample on its own timer and stream batches. */
  streamed: boolean;
  /** Board-side sensors the board accepted (agent boards; absent: the transport has none). */
  sensors?: string[];
}

export interface BoardIdentity {
  boardId: string;
  firmware: string;
  protocol: number;
  capabilities: BoardCapabilities;
}

export interface SamplingEntry {
  /** Stable key of the plan entry (from the capture plan); batches carry it back. */
  key: string;
  method: CaptureMethod;
  /** Analog reader names or GPIO pin names. */
  readers: string[];
  hz: number;
  /** 'streamed': the board samples on its own timer; 'polled': the gateway calls read(). */
  mode: 'streamed' | 'polled';
  /**
   * `Readings`: the named values each sample carries, in order (set by the transport from the
   * board's sensor config; src/boards/protocol/sensor-values.ts).
   */
  layout?: { name: string; unit?: string }[];
}

/** One streamed sample, already mapped to gateway time. */
export interface StreamedSample {
  /** The board's scheduled sampling instant, mapped to gateway time (ms epoch). */
  timeRequested: number;
  /** When the gateway received it (ms epoch). */
  timeReceived: number;
  data: ReadingData;
}

export interface StreamBatch {
  key: string;
  /** Per-board, per-entry batch sequence number as sent by the board. */
  seq: number;
  samples: StreamedSample[];
}

export type BoardState = 'connecting' | 'online' | 'offline' | 'closed';

export interface BoardStatus {
  state: BoardState;
  /** Why it changed (error message, "closed by gateway", ...). Never a secret. */
  reason?: string;
  at: number;
}

/** A loss the transport detected itself (sequence gap, bad frame, reboot, backlog overflow). */
export interface BoardGap {
  /** The plan entry affected, or undefined when it affects the whole board. */
  key?: string;
  reason: GapReason;
  start: number;
  end: number;
  count: number;
  detail?: string;
}

export interface BoardEvents {
  batch: [StreamBatch];
  status: [BoardStatus];
  gap: [BoardGap];
}

export interface ReadOptions {
  /** Give up after this long (BOARD_TIMEOUT). */
  timeoutMs: number;
  /**
   * Called before the read resolves with the instant the board took the sample, in gateway ms, when
   * the board reports it (protocol boards: `val.clk` through the clock mapping).
   */
  sampled?: (gatewayMs: number) => void;
}

export interface Board extends EventEmitter<BoardEvents> {
  readonly id: string;
  readonly state: BoardState;
  /** Open the link, handshake, send the hardware config. Resolves with the board's identity. */
  connect(): Promise<BoardIdentity>;
  /** Replace the sampling plan (streamed entries start/stop on the board). */
  configure(entries: SamplingEntry[]): Promise<void>;
  /** Polled read of one method's readers/pins. */
  read(method: CaptureMethod, readers: string[], opts: ReadOptions): Promise<ReadingData>;
  /** Close the link for good; pending reads reject with BOARD_DISCONNECTED. */
  close(): Promise<void>;
}

/** Creates a Board for a remote's address (`sim://`, `serial://`, `mqtt://`, `firmata://`). */
export interface BoardFactory {
  readonly scheme: string;
  create(spec: { id: string; address: URL; secret?: string; hardware: BoardHardwareConfig }): Board;
}

/**
 * Where the capture engine gets its Boards: the transport registry (src/boards/registry.ts), injected
 * by the composition root so capture never loads a transport.
 */
export interface BoardSource {
  /** The Board for a plan's BoardSpec. Throws BOARD_UNSUPPORTED for an unknown scheme. */
  create(spec: BoardSpec): Board;
}
