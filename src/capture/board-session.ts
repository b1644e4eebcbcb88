/**
 * One board link and the collectors of its plan entries.
 *  - Connects through the transport registry; when connecting fails or the link drops, it tries
 *    again with exponential backoff (initial → max), resetting after a successful connect.
 *  - On every connect it tells each collector (mode chosen by rate and capability) and pushes the
 *    sampling plan with configure(). If the board rejects the streamed plan, its streamed entries fall
 *    back to polling so each failure shows as a gap with the board's message.
 *  - setEntries() applies a new set of entries live: kept collectors are untouched, the board is
 *    reconfigured only when the sampling plan changed.
 */
import type { Board, BoardGap, BoardIdentity, BoardStatus, StreamBatch } from '../boards/board.js';
import type { BoardSource } from '../boards/board.js';
import type { BoardSpec } from '../config/plan.js';
import type { TimerHandle } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { GaugeChild } from '../shared/metrics.js';
import { EntryCollector, type CollectorDeps } from './collector.js';

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export interface SessionDeps extends CollectorDeps {
  registry: BoardSource;
  backoff: BackoffOptions;
}

export class BoardSession {
  private board: Board | undefined;
  private identity: BoardIdentity | undefined;
  private isOnline = false;
  private connecting = false;
  private closed = false;
  private retryTimer: TimerHandle | undefined;
  private backoffMs: number;
  private readonly collectors = new Map<string, EntryCollector>();
  private configured = '';
  private chain: Promise<void> = Promise.resolve();
  private readonly onlineGauge: GaugeChild;
  private readonly listeners: {
    status: (s: BoardStatus) => void;
    batch: (b: StreamBatch) => void;
    gap: (g: BoardGap) => void;
  };

  constructor(
    readonly spec: BoardSpec,
    private readonly deps: SessionDeps,
  ) {
    this.backoffMs = deps.backoff.initialMs;
    this.onlineGauge = deps.metrics.boardOnline.labels({ board: spec.id });
    this.onlineGauge.set(0);
    const unknown = deps.metrics.unknownBatches.labels({ board: spec.id });
    this.listeners = {
      status: (s) => this.onStatus(s),
      batch: (b) => {
        const c = this.collectors.get(b.key);
        if (c === undefined) unknown.inc();
        else c.onBatch(b);
      },
      gap: (g) => {
        if (g.key !== undefined) this.collectors.get(g.key)?.onBoardGap(g);
        else for (const c of this.collectors.values()) c.onBoardGap(g);
      },
    };
  }

  get online(): boolean {
    return this.isOnline;
  }

  entries(): EntryCollector[] {
    return [...this.collectors.values()];
  }

  start(): void {
    try {
      this.board = this.deps.registry.create(this.spec);
    } catch (err) {
      // No transport for this address: the entries account the time as board_offline, once per hold.
      this.deps.logger.error(
        { board: this.spec.id, err: errorMessage(err) },
        'cannot create board; its entries record board_offline gaps',
      );
      return;
    }
    this.board.on('status', this.listeners.status);
    this.board.on('batch', this.listeners.batch);
    this.board.on('gap', this.listeners.gap);
    void this.connect();
  }

  /** Replace this board's entries. `added` collectors are new; `removed` keys are stopped. */
  async setEntries(add: EntryCollector[], removeKeys: string[]): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const k of removeKeys) {
      const c = this.collectors.get(k);
      if (c === undefined) continue;
      this.collectors.delete(k);
      stopping.push(c.stop());
    }
    for (const c of add) {
      this.collectors.set(c.entry.key, c);
      if (this.isOnline && this.board !== undefined && this.identity !== undefined)
        c.online(this.board, this.identity.capabilities);
    }
    await Promise.all(stopping);
    if (this.isOnline) await this.pushPlan();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) this.deps.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    await Promise.all([...this.collectors.values()].map((c) => c.stop()));
    this.collectors.clear();
    await this.chain.catch(() => undefined);
    const b = this.board;
    if (b !== undefined) {
      if (this.isOnline) await b.configure([]).catch(() => undefined);
      await b
        .close()
        .catch((err: unknown) =>
          this.deps.logger.warn(
            { board: this.spec.id, err: errorMessage(err) },
            'closing board failed',
          ),
        );
      b.off('status', this.listeners.status);
      b.off('batch', this.listeners.batch);
      b.off('gap', this.listeners.gap);
    }
    this.isOnline = false;
    this.onlineGauge.set(0);
  }

  private async connect(): Promise<void> {
    const b = this.board;
    if (b === undefined || this.closed || this.connecting || this.isOnline) return;
    this.connecting = true;
    const { logger, metrics } = this.deps;
    try {
      const identity = await b.connect();
      if (this.closed) return;
      metrics.boardConnects.inc({ board: this.spec.id, result: 'ok' });
      this.identity = identity;
      this.isOnline = true;
      this.onlineGauge.set(1);
      this.backoffMs = this.deps.backoff.initialMs;
      logger.info(
        {
          board: this.spec.id,
          firmware: identity.firmware,
          streamed: identity.capabilities.streamed,
        },
        'board online',
      );
      for (const c of this.collectors.values()) c.online(b, identity.capabilities);
      this.configured = '';
      await this.pushPlan();
    } catch (err) {
      metrics.boardConnects.inc({ board: this.spec.id, result: 'failed' });
      logger.warn(
        { board: this.spec.id, err: errorMessage(err), retryInMs: this.backoffMs },
        'board connect failed',
      );
      this.scheduleRetry();
    } finally {
      this.connecting = false;
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer !== undefined) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.deps.backoff.maxMs, this.backoffMs * 2);
    this.retryTimer = this.deps.clock.setTimer(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
  }

  private onStatus(s: BoardStatus): void {
    if (this.closed) return;
    if (s.state === 'offline' && (this.isOnline || this.connecting)) {
      const wasOnline = this.isOnline;
      this.isOnline = false;
      this.onlineGauge.set(0);
      if (wasOnline) {
        this.deps.logger.warn({ board: this.spec.id, reason: s.reason }, 'board offline');
        for (const c of this.collectors.values())
          void c.offline(s.at, s.reason ?? 'board link down');
      }
      if (!this.connecting) this.scheduleRetry();
    } else if (s.state === 'online' && !this.isOnline && !this.connecting) {
      // The transport reconnected by itself: take it from there (identity, plan).
      if (this.retryTimer !== undefined) this.deps.clock.clearTimer(this.retryTimer);
      this.retryTimer = undefined;
      void this.connect();
    }
  }

  /** Send the sampling plan if it changed; serialised so configure() calls never interleave. */
  private pushPlan(): Promise<void> {
    const run = async () => {
      const b = this.board;
      if (b === undefined || !this.isOnline || this.closed) return;
      const entries = [...this.collectors.values()].map((c) => c.samplingEntry());
      const fingerprint = JSON.stringify(entries);
      if (fingerprint === this.configured) return;
      // Sequence numbers restart with the new plan: expect that before the first new batch can arrive.
      for (const c of this.collectors.values()) c.reconfigured();
      try {
        await b.configure(entries);
        this.configured = fingerprint;
      } catch (err) {
        if (!this.isOnline) return; // the link dropped meanwhile; the reconnect pushes the plan again
        this.deps.logger.error(
          { board: this.spec.id, err: errorMessage(err) },
          'board refused the sampling plan; polling every entry instead',
        );
        const polled = [...this.collectors.values()].map((c) => c.fallBackToPolled(b));
        try {
          await b.configure([]);
          this.configured = JSON.stringify(polled);
        } catch (err2) {
          this.deps.logger.error(
            { board: this.spec.id, err: errorMessage(err2) },
            'board refused an empty plan too',
          );
        }
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }
}
