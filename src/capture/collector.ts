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
import type { EntryOutput } from './entry-output.js';
import {
  boardMethod,
  chooseMode,
  type CollectorDeps,
  type CollectorMode,
} from './collector-mode.js';
import { OfflineSpan, writeCaptureStopped } from './collector-offline.js';
import { PolledCollector } from './collector-polled.js';
import { StreamedCollector } from './collector-streamed.js';

export { boardMethod, chooseMode } from './collector-mode.js';
export type { CollectorDeps, CollectorMode, CollectorOptions } from './collector-mode.js';

export class EntryCollector {
  private modeValue: CollectorMode = 'waiting';
  private polled: PolledCollector | undefined;
  private streamed: StreamedCollector | undefined;
  /** The time without the board, accounted as board_offline gaps (collector-offline.ts). */
  private readonly offlineSpan: OfflineSpan;
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
    this.offlineSpan = new OfflineSpan({
      out,
      clock: deps.clock,
      period: () => this.period,
      holdMs: () => deps.options.holdMs,
      stopped: () => this.stopped,
      accountedUntil: (t) => this.streamed?.accountedUntil(t),
    });
    if (resumeAt !== undefined && entry.hz > deps.options.streamAboveHz) {
      this.restart = { from: resumeAt, at: deps.clock.now() };
      this.streamed = new StreamedCollector(entry.hz, out, deps.metrics);
      this.streamed.resumeAfter(resumeAt);
      this.streamOutage = 'gateway restarted';
      if (out.lastTime === undefined || out.lastTime < resumeAt) out.lastTime = resumeAt; // the restart mark stays
      return;
    }
    if (resumeAt !== undefined) after = this.writeCaptureStopped(resumeAt, deps.clock.now());
    this.offlineSpan.begin(
      after === undefined ? deps.clock.now() : after + this.period,
      this.offlineSpan.detail,
    );
  }

  /** Every tick after `from` up to `until`: one capture_stopped gap. Returns the last tick covered. */
  private writeCaptureStopped(from: number, until: number): number {
    return writeCaptureStopped(this.out, this.period, from, until);
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
    const next = this.offlineSpan.end();
    this.modeValue = mode;
    if (mode === 'streamed') {
      if (this.streamed === undefined) {
        this.streamed = new StreamedCollector(this.entry.hz, this.out, this.deps.metrics);
      }
      this.streamed.accountedUntil(next - this.period);
      this.streamed.resetSequence();
      this.streamed.startSampling();
    } else {
      this.polled = this.newPolled(board);
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
    this.polled = this.newPolled(board);
    this.polled.start(anchor);
    return this.samplingEntry();
  }

  private newPolled(board: Board): PolledCollector {
    return new PolledCollector(board, this.method, this.entry.readers, this.entry.hz, this.out, {
      clock: this.deps.clock,
      logger: this.deps.logger,
      metrics: this.deps.metrics,
      readTimeoutMs: this.deps.options.readTimeoutMs,
    });
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
    this.offlineSpan.begin(from, reason);
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
    this.offlineSpan.account();
  }

  /** Stop for good: flush pending gaps, wait for an in-flight read to be recorded. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.settleStreamOutage();
    if (this.offlineSpan.pending) this.offlineSpan.end();
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
      this.offlineSpan.begin(last + this.period, this.offlineSpan.detail);
      return;
    }
    const last = this.streamed?.lastT;
    if (last !== undefined) this.offlineSpan.begin(last + this.period, reason);
  }
}
