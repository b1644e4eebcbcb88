/**
 * The `sim` transport: a first-class Board with simulated hardware. Address and options:
 * see sim-options.ts (`sim://NAME?wave=sine&period=…&latency=ms&fail=0.01&disconnect=…&seed=…`).
 *
 * - Polled reads answer after `latency` ms; with probability `fail` they reject (BOARD_PROTOCOL,
 *   as a firmware `err` answer would); a read slower than its timeout rejects with BOARD_TIMEOUT.
 * - Streamed entries are sampled on the sim's own schedule (absolute deadlines on the injected
 *   clock) and delivered as `batch` events every `bms` ms (at most 50 samples per batch), with
 *   per-entry sequence numbers that restart at 0 on every configure(). A lost batch (`fail`) is a
 *   skipped sequence number. Unchanged entries keep sampling across configure() without a hole.
 *   The streaming itself lives in sim-streams.ts, polled reads in sim-reads.ts.
 * - The link can drop (`disconnect` mean interval, `down` duration, or `sim.dropLink()`): status
 *   'offline', pending reads reject with BOARD_DISCONNECTED, streams stop; the board does not
 *   reconnect by itself — the gateway calls connect() again, which fails while the link is down
 *   (sim-link.ts).
 * All randomness comes from `seed`, all time from the injected clock.
 */
import type {
  Board,
  BoardFactory,
  BoardHardwareConfig,
  BoardIdentity,
  BoardState,
  CaptureMethod,
  ReadOptions,
  SamplingEntry,
} from './board.js';
import type { Clock } from '../shared/clock.js';
import type { ReadingData } from '../shared/record.js';
import { WharfError } from '../shared/errors.js';
import { BoardEmitter } from './board-emitter.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import { parseSimAddress, prng, type SimOptions } from './sim-options.js';
import { SimHardware } from './sim-hardware.js';
import { SimLink } from './sim-link.js';
import { SimReads } from './sim-reads.js';
import { SimStreams } from './sim-streams.js';

export const SIM_FIRMWARE = 'sim-0.1.0';

export interface SimControl {
  readonly options: SimOptions;
  readonly hardware: SimHardware;
  /** Break the link from the board side (cable pulled). connect() fails until restoreLink(). */
  dropLink(reason?: string): void;
  restoreLink(): void;
  setLatency(ms: number): void;
  setFailRate(p: number): void;
  readonly counts: { reads: number; failedReads: number; batches: number; lostBatches: number };
}

export class SimBoard extends BoardEmitter implements Board {
  readonly id: string;
  readonly sim: SimControl;
  private readonly rng: () => number;
  private readonly hw: SimHardware;
  private readonly streams: SimStreams;
  private readonly link: SimLink;
  private readonly reads: SimReads;
  private latencyMs: number;
  private failRate: number;
  private readonly counts = { reads: 0, failedReads: 0, batches: 0, lostBatches: 0 };

  constructor(
    spec: { id: string; address: URL | string; hardware: BoardHardwareConfig },
    clock: Clock,
    logger: Logger = nullLogger,
  ) {
    super(clock, logger);
    this.id = spec.id;
    const opts = parseSimAddress(spec.address);
    this.rng = prng(opts.seed);
    this.hw = new SimHardware(opts, spec.hardware);
    this.latencyMs = opts.latencyMs;
    this.failRate = opts.failRate;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the `counts` getter below needs the board, not the handle
    const self = this;
    this.sim = {
      options: opts,
      hardware: this.hw,
      dropLink: (reason = 'simulated link drop') => self.drop(reason),
      restoreLink: () => self.link.restore(),
      setLatency: (ms) => {
        self.latencyMs = ms;
      },
      setFailRate: (p) => {
        self.failRate = p;
      },
      get counts() {
        return { ...self.counts };
      },
    };
    this.link = new SimLink(clock, this.rng, opts, (reason) => self.drop(reason));
    this.reads = new SimReads(
      this.id,
      clock,
      this.hw,
      this.rng,
      () => self.latencyMs,
      () => self.failRate,
      this.counts,
    );
    this.streams = new SimStreams({
      id: this.id,
      clock,
      hw: this.hw,
      batchMs: opts.batchMs,
      latencyMs: () => self.latencyMs,
      failRate: () => self.failRate,
      rng: this.rng,
      online: () => self.stateValue === 'online',
      counted: (lost) => {
        if (lost) self.counts.lostBatches++;
        else self.counts.batches++;
      },
      emitBatch: (b) => self.safeEmit('batch', b),
      emitGap: (g) => self.safeEmit('gap', g),
    });
  }

  get state(): BoardState {
    return this.stateValue;
  }

  private get opts(): SimOptions {
    return this.sim.options;
  }

  identity(): BoardIdentity {
    return {
      boardId: this.id,
      firmware: SIM_FIRMWARE,
      protocol: 1,
      capabilities: {
        analogs: this.hw.analogNames(),
        pins: this.hw.pinNames(),
        maxHz: this.opts.maxHz,
        streamed: this.opts.streamed,
      },
    };
  }

  async connect(): Promise<BoardIdentity> {
    if (this.stateValue === 'closed')
      throw new WharfError('BOARD_DISCONNECTED', `sim board ${this.id} is closed`);
    if (this.stateValue === 'online') return this.identity();
    if (!this.link.up)
      throw new WharfError(
        'BOARD_DISCONNECTED',
        `sim board ${this.id}: link is down (simulated), try again later`,
      );
    this.setState('connecting');
    if (this.latencyMs > 0) await this.sleep(this.latencyMs);
    if (this.stateValue !== 'connecting')
      throw new WharfError('BOARD_DISCONNECTED', `sim board ${this.id}: link lost during connect`);
    this.setState('online');
    this.link.scheduleDrop();
    return this.identity();
  }

  async configure(entries: SamplingEntry[]): Promise<void> {
    this.requireOnline();
    for (const e of entries) {
      this.hw.check(e.method, e.readers);
      if (e.mode === 'streamed' && !this.opts.streamed) {
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `sim board ${this.id} cannot stream (address has stream=0); use polled mode for ${e.key}`,
        );
      }
      if (e.hz > this.opts.maxHz) {
        throw new WharfError(
          'BOARD_UNSUPPORTED',
          `sim board ${this.id}: ${e.key} at ${e.hz} Hz exceeds the board's maximum ${this.opts.maxHz} Hz`,
        );
      }
    }
    this.streams.apply(entries.filter((e) => e.mode === 'streamed'));
  }

  read(method: CaptureMethod, readers: string[], opts: ReadOptions): Promise<ReadingData> {
    this.counts.reads++;
    try {
      this.requireOnline();
      this.hw.check(method, readers);
    } catch (err) {
      this.counts.failedReads++;
      return Promise.reject(err);
    }
    return this.reads.answer(method, readers, opts.timeoutMs);
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.goDown('closed', 'closed by gateway');
  }

  // --- internals -----------------------------------------------------------------------------

  private requireOnline(): void {
    if (this.stateValue !== 'online') {
      throw new WharfError(
        'BOARD_DISCONNECTED',
        `sim board ${this.id} is ${this.stateValue}: connect() first`,
      );
    }
  }

  private drop(reason: string): void {
    this.link.cut();
    if (this.stateValue === 'online' || this.stateValue === 'connecting')
      this.goDown('offline', reason);
  }

  private goDown(state: 'offline' | 'closed', reason: string): void {
    this.streams.stopAll();
    this.link.wentDown(state === 'closed');
    const err = new WharfError('BOARD_DISCONNECTED', `sim board ${this.id}: ${reason}`);
    this.reads.rejectAll(err);
    this.setState(state, reason);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.clock.setTimer(r, ms));
  }
}

/** The `sim` entry of the transport registry. */
export function simFactory(deps: { clock: Clock; logger?: Logger }): BoardFactory {
  return {
    scheme: 'sim',
    create: (spec) =>
      new SimBoard(
        { id: spec.id, address: spec.address, hardware: spec.hardware },
        deps.clock,
        deps.logger?.child({ board: spec.id }) ?? nullLogger,
      ),
  };
}
