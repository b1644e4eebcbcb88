/**
 * One collector per plan entry. It follows its board's link:
 *  - waiting/offline: no reads; the time is accounted as `board_offline` gaps (written every
 *    `holdMs` while it lasts, and the rest when the board is back), counted in ticks of the entry.
 *    Except for a streamed entry: its board keeps sampling into a backlog while the link is down
 *    and delivers it when back, so nothing is written meanwhile; the streamed collector then
 *    accounts what truly is missing (the board's own `backlog_overflow`, a `board_reboot`, or a
 *    `board_offline` hole between the last sample before and the first after the outage). If the
 *    entry stops or the board comes back unable to stream, the span is written as `board_offline`.
 *  - online: polled (a TickScheduler calling board.read) or streamed (the board pushes batches),
 *    chosen by `chooseMode` from the rate and what the board can do.
 */
import { periodMs } from '../config/plan.js';
import type {
  Board,
  BoardCapabilities,
  BoardGap,
  CaptureMethod,
  SamplingEntry,
  StreamBatch,
} from '../boards/board.js';
import type { PlanEntry } from '../config/plan.js';
import type { TimerHandle } from '../shared/clock.js';
import type { EntryOutput } from './entry-output.js';
import {
  boardMethod,
  chooseMode,
  type CollectorDeps,
  type CollectorMode,
} from './collector-mode.js';
import { PolledCollector } from './collector-polled.js';
import { StreamedCollector } from './collector-streamed.js';

export { boardMethod, chooseMode } from './collector-mode.js';
export type { CollectorDeps, CollectorMode, CollectorOptions } from './collector-mode.js';

export class EntryCollector {
  private modeValue: CollectorMode = 'waiting';
  private polled: PolledCollector | undefined;
  private streamed: StreamedCollector | undefined;
  /** Start of the span not yet accounted while the board is not online. */
  private offlineFrom: number | undefined;
  private offlineDetail = 'board not connected yet';
  private offlineTimer: TimerHandle | undefined;
  /** A streamed entry's outage, not accounted yet (the board may deliver its backlog): its reason. */
  private streamOutage: string | undefined;
  /** The gateway restart whose capture_stopped gap waits for the board (see the constructor). */
  private restart: { from: number; at: number } | undefined;
  private stopped = false;
  readonly method: CaptureMethod;

  /**
   * `after`: the last instant already accounted for this entry (the last tick of the collector this
   * one replaces, or the end of the capture_stopped gap after a restart). The entry's tick grid
   * continues one period after it, so no instant is counted twice or left out.
   */
  constructor(
    readonly entry: PlanEntry,
    readonly out: EntryOutput,
    private readonly deps: CollectorDeps,
    after?: number,
    /**
     * After a gateway restart: the last instant durably recorded before it. The time since then is
     * `capture_stopped` — except what a streaming board kept and delivers now: for an entry fast
     * enough to stream, that gap is written only when the board is back (or the entry stops).
     */
    resumeAt?: number,
  ) {
    const m = boardMethod(entry.method);
    if (m === undefined)
      throw new Error(`entry ${entry.key}: method ${entry.method} has no board read`);
    this.method = m;
    if (resumeAt !== undefined && entry.hz > deps.options.streamAboveHz) {
      this.restart = { from: resumeAt, at: deps.clock.now() };
      this.streamed = new StreamedCollector(entry.hz, out, deps.metrics);
      this.streamed.resumeAfter(resumeAt);
      this.streamOutage = 'gateway restarted';
      if (out.lastTime === undefined || out.lastTime < resumeAt) out.lastTime = resumeAt; // the restart mark stays
      return;
    }
    if (resumeAt !== undefined) after = this.writeCaptureStopped(resumeAt, deps.clock.now());
    this.beginOffline(
      after === undefined ? deps.clock.now() : after + this.period,
      this.offlineDetail,
    );
  }

  /** Every tick after `from` up to `until`: one capture_stopped gap. Returns the last tick covered. */
  private writeCaptureStopped(from: number, until: number): number {
    const period = this.period;
    const count = Math.max(0, Math.floor((until - from) / period + 1e-9));
    const last = from + count * period;
    if (count > 0) {
      this.out.gap(
        'capture_stopped',
        from + period,
        last,
        count,
        'gateway was not running (stopped or crashed)',
      );
      this.out.flushGap();
    }
    return last;
  }

  get mode(): CollectorMode {
    return this.modeValue;
  }

  get period(): number {
    return periodMs(this.entry.hz);
  }

  /** The board is online: pick the mode; polled collection starts now. Returns the entry for configure(). */
  online(board: Board, caps: BoardCapabilities): SamplingEntry {
    // a board-side sensor the board refused is polled: each read fails with the board's reason (a
    // read_error gap per tick) while the board's other entries keep streaming
    const refused =
      this.method === 'Readings' &&
      !this.entry.readers.every((r) => caps.sensors?.includes(r) === true);
    const mode = refused
      ? 'polled'
      : chooseMode(this.entry.hz, caps, this.deps.options.streamAboveHz);
    if (this.streamOutage !== undefined && mode === 'streamed' && this.streamed !== undefined) {
      // Back after an outage: the backlog (and the board's own loss reports) follow the last sample.
      this.streamOutage = undefined;
      this.modeValue = 'streamed';
      this.streamed.resetSequence();
      return this.samplingEntry();
    }
    this.settleStreamOutage();
    // The first instant not yet accounted: the grid continues from there (at most a period ago).
    const next = this.endOffline();
    this.modeValue = mode;
    if (mode === 'streamed') {
      if (this.streamed === undefined) {
        this.streamed = new StreamedCollector(this.entry.hz, this.out, this.deps.metrics);
      }
      this.streamed.accountedUntil(next - this.period);
      this.streamed.resetSequence();
      this.streamed.startSampling();
    } else {
      this.polled = new PolledCollector(
        board,
        this.method,
        this.entry.readers,
        this.entry.hz,
        this.out,
        {
          clock: this.deps.clock,
          logger: this.deps.logger,
          metrics: this.deps.metrics,
          readTimeoutMs: this.deps.options.readTimeoutMs,
        },
      );
      this.polled.start(next);
    }
    return {
      key: this.entry.key,
      method: this.method,
      readers: [...this.entry.readers],
      hz: this.entry.hz,
      mode,
    };
  }

  /** The board rejected the streamed plan: fall back to polling (errors then show per read). */
  fallBackToPolled(board: Board): SamplingEntry {
    if (this.modeValue !== 'streamed') return this.samplingEntry();
    this.modeValue = 'polled';
    // a restart whose board never delivered: its gap as before, polling continues after it
    const r = this.restart;
    this.restart = undefined;
    let anchor: number | undefined;
    if (r !== undefined && this.streamed?.lastT === r.from)
      anchor = this.writeCaptureStopped(r.from, this.deps.clock.now()) + this.period;
    this.polled = new PolledCollector(
      board,
      this.method,
      this.entry.readers,
      this.entry.hz,
      this.out,
      {
        clock: this.deps.clock,
        logger: this.deps.logger,
        metrics: this.deps.metrics,
        readTimeoutMs: this.deps.options.readTimeoutMs,
      },
    );
    this.polled.start(anchor);
    return this.samplingEntry();
  }

  samplingEntry(): SamplingEntry {
    const mode = this.modeValue === 'streamed' ? 'streamed' : 'polled';
    return {
      key: this.entry.key,
      method: this.method,
      readers: [...this.entry.readers],
      hz: this.entry.hz,
      mode,
    };
  }

  /** The board was reconfigured: streamed sequence numbers restart. */
  reconfigured(): void {
    this.streamed?.resetSequence();
  }

  /** The board link went down at `at`. */
  async offline(at: number, reason: string): Promise<void> {
    if (this.stopped || this.modeValue === 'waiting') return;
    const wasStreamed = this.modeValue === 'streamed';
    this.modeValue = 'waiting';
    if (wasStreamed && this.streamed?.lastT !== undefined) {
      this.streamed.markOffline();
      this.streamOutage = reason;
      return;
    }
    const p = this.polled;
    this.polled = undefined;
    this.streamed?.markOffline();
    const from =
      wasStreamed && this.streamed?.lastT !== undefined
        ? Math.min(at, this.streamed.lastT + this.period)
        : at;
    this.beginOffline(from, reason);
    await p?.stop();
  }

  onBatch(b: StreamBatch): void {
    this.restart = undefined; // the board is back: its batches account the restart
    if (this.streamed !== undefined) this.streamed.onBatch(b);
  }

  onBoardGap(g: BoardGap): void {
    if (this.streamed !== undefined) this.streamed.onBoardGap(g);
    else this.out.gap(g.reason, g.start, g.end, g.count, g.detail);
  }

  /** Write the pending offline span up to now (periodic, so a long outage is on disk as it happens). */
  accountOffline(): void {
    if (this.offlineFrom === undefined) return;
    const now = this.deps.clock.now();
    const n = Math.floor((now - this.offlineFrom) / this.period + 1e-9);
    if (n <= 0) return;
    const end = this.offlineFrom + n * this.period;
    this.out.gap('board_offline', this.offlineFrom, end - this.period, n, this.offlineDetail);
    this.out.flushGap();
    this.offlineFrom = end;
    this.streamed?.accountedUntil(end - this.period);
  }

  /** Stop for good: flush pending gaps, wait for an in-flight read to be recorded. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.settleStreamOutage();
    if (this.offlineFrom !== undefined) this.endOffline();
    const p = this.polled;
    this.polled = undefined;
    this.streamed = undefined;
    this.modeValue = 'waiting';
    await p?.stop();
    this.out.flushGap();
  }

  /** A streamed outage the board will not fill any more: account it as offline from the last sample. */
  private settleStreamOutage(): void {
    const reason = this.streamOutage;
    if (reason === undefined) return;
    this.streamOutage = undefined;
    const r = this.restart;
    this.restart = undefined;
    if (r !== undefined) {
      // nothing came from the board: the restart's gap as before, then offline since the start
      const last = this.writeCaptureStopped(r.from, r.at);
      this.streamed = undefined;
      this.beginOffline(last + this.period, this.offlineDetail);
      return;
    }
    const last = this.streamed?.lastT;
    if (last !== undefined) this.beginOffline(last + this.period, reason);
  }

  private beginOffline(from: number, detail: string): void {
    this.offlineFrom = from;
    this.offlineDetail = detail;
    if (this.offlineTimer === undefined) this.armOfflineTimer();
  }

  private armOfflineTimer(): void {
    this.offlineTimer = this.deps.clock.setTimer(() => {
      this.offlineTimer = undefined;
      if (this.offlineFrom === undefined || this.stopped) return;
      this.accountOffline();
      this.armOfflineTimer();
    }, this.deps.options.holdMs);
  }

  /** Account whole ticks up to now; returns the first instant not accounted (≤ now + a period). */
  private endOffline(): number {
    if (this.offlineTimer !== undefined) this.deps.clock.clearTimer(this.offlineTimer);
    this.offlineTimer = undefined;
    this.accountOffline();
    const next = this.offlineFrom ?? this.deps.clock.now();
    this.offlineFrom = undefined;
    return next;
  }
}
