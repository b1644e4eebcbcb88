/**
 * A Board that speaks wire protocol v1 (docs/protocol.md) over any frame link: the serial and MQTT
 * transports are this class plus a Connector.
 *
 * connect(): open → hello/hi (version check) → cfg (hardware config; the answer gives the analog
 * ranges and accepted pins) → N pings (clock mapping) → online. Pings continue every
 * `pingIntervalMs` for drift tracking; `maxMissedPings` unanswered in a row take the link down.
 * Streamed batches are mapped to gateway time and emitted with the board's sequence number (the
 * capture engine derives sequence gaps and drops duplicates). An unsolicited `hi`, or a board clock
 * stepping backwards, is a reboot: a `board_reboot` gap, clock mapping reset, `cfg` and the current
 * plan re-sent. When the link drops, the board goes offline and, while the connector says the
 * link is available again, reconnects by itself (poll every ≤ 1 s); the engine's connect() joins.
 * A reconnect to the same, not restarted board is a rejoin: the clock mapping and the running plan
 * are kept, so the backlog the board drains during the handshake is delivered (stream-intake.ts).
 *
 * Parts: handshake.ts (hello, cfg), clock-sync.ts (pings), request-channel.ts (request/answer),
 * stream-intake.ts (batches and gap frames).
 */
import { EventEmitter } from 'node:events';
import type { Board, BoardEvents, BoardHardwareConfig, BoardIdentity, BoardState, CaptureMethod, ReadOptions, SamplingEntry } from '../board.js';
import type { Clock } from '../../shared/clock.js';
import { WharfError, errorMessage, isWharfError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { ReadingData } from '../../shared/record.js';
import { ClockMap } from './clock-map.js';
import { LinkWatcher, RateLimitedLog, type Connector, type FrameLink } from './link.js';
import { decodeBoardFrame, type BoardFrame, type GatewayRequest } from './messages.js';
import { LinkStats, toReadingData } from './values.js';
import { askCfg, askHello } from './handshake.js';
import { ClockSync } from './clock-sync.js';
import { RequestChannel } from './request-channel.js';
import { StreamIntake } from './stream-intake.js';

export interface ProtocolBoardOptions {
  requestTimeoutMs?: number;
  helloAttempts?: number;
  syncPings?: number;
  pingIntervalMs?: number;
  maxMissedPings?: number;
  batchMs?: number;
  /** Poll interval while waiting for the link to come back; ≤ 1000 keeps resume within 2 s. */
  reconnectPollMs?: number;
  /** Reconnect by itself when the link is available again (default true). */
  autoReconnect?: boolean;
  /**
   * `lt` sent with hello/cfg/plan (firmware extension): the board counts the link as down after this
   * long without a frame from us and keeps its batches in its backlog until we are back. Must be
   * ≥ 3 × pingIntervalMs. 0 = not sent. Default 8000.
   */
  linkTimeoutMs?: number;
}

export class ProtocolBoard extends EventEmitter<BoardEvents> implements Board {
  readonly id: string;
  readonly stats = new LinkStats();
  readonly clockMap = new ClockMap();
  private stateValue: BoardState = 'offline';
  private link: FrameLink | undefined;
  private linkEpoch = 0;
  private connecting: Promise<BoardIdentity> | undefined;
  private identityValue: BoardIdentity | undefined;
  private ranges = new Map<string, [number, number, number]>();
  private pins = new Set<string>();
  private readonly intake: StreamIntake;
  private readonly sync: ClockSync;
  private readonly channel: RequestChannel;
  private readonly watcher: LinkWatcher;
  private rebooting = false;
  private readonly badLog = new RateLimitedLog(10_000);
  private readonly o: Required<ProtocolBoardOptions>;

  constructor(
    id: string,
    private readonly hardware: BoardHardwareConfig,
    private readonly connector: Connector,
    private readonly clock: Clock,
    private readonly logger: Logger = nullLogger,
    opts: ProtocolBoardOptions = {},
  ) {
    super();
    this.id = id;
    this.o = {
      requestTimeoutMs: opts.requestTimeoutMs ?? 2000,
      helloAttempts: opts.helloAttempts ?? 3,
      syncPings: opts.syncPings ?? 6,
      pingIntervalMs: opts.pingIntervalMs ?? 2000,
      maxMissedPings: opts.maxMissedPings ?? 3,
      batchMs: opts.batchMs ?? 100,
      reconnectPollMs: opts.reconnectPollMs ?? 250,
      autoReconnect: opts.autoReconnect ?? true,
      linkTimeoutMs: opts.linkTimeoutMs ?? 8000,
    };
    this.channel = new RequestChannel(clock, id, connector.where, this.stats, () => this.link);
    const online = () => this.stateValue === 'online';
    this.sync = new ClockSync(this.clockMap, clock, this.stats, {
      request: (r, t) => this.request(r, t),
      online,
      stepped: (why) => this.reboot(why),
      dead: (reason) => this.linkDown(reason),
    }, this.o);
    this.intake = new StreamIntake(id, this.clockMap, clock, this.stats, logger, () => this.ranges, {
      batch: (b) => this.safeEmit('batch', b),
      gap: (g) => this.safeEmit('gap', g),
      bad: (reason) => this.onBad(reason),
      stepped: (why) => this.reboot(why),
      resendPlan: () => this.sendNewPlan(this.intake.decoder.entries()),
      online,
    });
    this.watcher = new LinkWatcher(
      clock,
      this.o.reconnectPollMs,
      () => this.stateValue === 'offline' && this.connecting === undefined,
      () => connector.available?.() ?? true,
      () => this.connect(),
    );
  }

  get state(): BoardState {
    return this.stateValue;
  }

  connect(): Promise<BoardIdentity> {
    if (this.stateValue === 'closed') return Promise.reject(new WharfError('BOARD_DISCONNECTED', `board ${this.id} (${this.connector.where}) is closed`));
    if (this.stateValue === 'online' && this.identityValue !== undefined) return Promise.resolve(this.identityValue);
    if (this.connecting === undefined) {
      this.connecting = this.doConnect().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  async configure(entries: SamplingEntry[]): Promise<void> {
    const ident = this.requireOnline();
    const streamed = entries.filter((e) => e.mode === 'streamed');
    for (const e of entries) this.checkReaders(e.method, e.readers);
    for (const e of streamed) {
      if (!ident.capabilities.streamed) throw new WharfError('BOARD_UNSUPPORTED', `board ${this.id} cannot stream (its firmware reports st=0); use polled mode for ${e.key}`);
      if (e.hz > ident.capabilities.maxHz) throw new WharfError('BOARD_UNSUPPORTED', `board ${this.id}: ${e.key} at ${e.hz} Hz exceeds the board's maximum ${ident.capabilities.maxHz} Hz`);
    }
    // After a rejoin the board still runs this very plan: keep it (and its sequence numbers).
    if (this.intake.keepsPlan(streamed, this.o.batchMs)) return;
    await this.sendNewPlan(streamed);
  }

  async read(method: CaptureMethod, readers: string[], opts: ReadOptions): Promise<ReadingData> {
    this.requireOnline();
    this.checkReaders(method, readers);
    const f = await this.request({ t: 'read', m: method === 'Analogs' ? 'A' : 'G', r: readers }, opts.timeoutMs);
    if (f.t !== 'val') throw new WharfError('BOARD_PROTOCOL', `board ${this.id}: answer to read was '${f.t}', expected 'val'`);
    this.noteClk(f.clk);
    if (f.v.length !== readers.length) throw new WharfError('BOARD_PROTOCOL', `board ${this.id}: read of ${readers.length} readers answered ${f.v.length} values`);
    return toReadingData(method, readers, f.v, this.ranges);
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stopTimers();
    const link = this.link;
    this.link = undefined;
    this.linkEpoch++;
    this.channel.rejectAll(new WharfError('BOARD_DISCONNECTED', `board ${this.id}: closed by gateway`));
    this.setState('closed', 'closed by gateway');
    if (link !== undefined) await link.close().catch(() => undefined);
  }

  /** Current identity (after connect). */
  get identity(): BoardIdentity | undefined {
    return this.identityValue;
  }

  // --- connection -----------------------------------------------------------------------------

  private async doConnect(): Promise<BoardIdentity> {
    this.stopWatch();
    this.setState('connecting');
    const epoch = ++this.linkEpoch;
    let link: FrameLink;
    try {
      link = await this.connector.open({
        frame: (text) => {
          if (epoch === this.linkEpoch) this.onFrame(text);
        },
        junk: (reason, bytes) => {
          if (epoch === this.linkEpoch) this.onBad(`${reason} (${bytes} bytes)`);
        },
        down: (reason) => {
          if (epoch === this.linkEpoch) this.linkDown(reason);
        },
      });
    } catch (err) {
      this.failConnect(err);
      throw err;
    }
    if (epoch !== this.linkEpoch || this.stateValue !== 'connecting') {
      await link.close().catch(() => undefined);
      throw new WharfError('BOARD_DISCONNECTED', `board ${this.id}: ${this.stateValue === 'closed' ? 'closed' : 'link lost'} during connect`);
    }
    this.link = link;
    try {
      const ident = await this.handshake();
      if (epoch !== this.linkEpoch || this.stateValue !== 'connecting') throw new WharfError('BOARD_DISCONNECTED', `board ${this.id}: link lost during handshake`);
      this.identityValue = ident;
      this.setState('online');
      this.sync.start();
      return ident;
    } catch (err) {
      if (epoch === this.linkEpoch) {
        this.link = undefined;
        this.linkEpoch++;
        await link.close().catch(() => undefined);
        this.channel.rejectAll(new WharfError('BOARD_DISCONNECTED', `board ${this.id}: handshake failed`));
      }
      this.failConnect(err);
      throw err;
    }
  }

  private failConnect(err: unknown): void {
    if (this.stateValue === 'closed') return;
    this.setState('offline', errorMessage(err));
    this.startWatch();
  }

  /**
   * hello → cfg → pings. A board that answers with a clock continuing the one seen before is the
   * same run of the board (a rejoin): the clock mapping stays, so the backlog it drains right away
   * is mapped and delivered, and its plan is kept. A clock that stepped back: it restarted while
   * the link was down (its backlog is gone) — `board_reboot` gaps, a fresh mapping, a new plan.
   */
  private async handshake(): Promise<BoardIdentity> {
    const who = `board ${this.id} (${this.connector.where})`;
    const hi = await askHello((r) => this.request(r, this.o.requestTimeoutMs), this.o.helloAttempts, who, this.lt());
    if (hi.bid !== this.id) this.logger.warn({ board: this.id, reported: hi.bid, where: this.connector.where }, 'board reports a different id than configured; data is recorded under the configured id');
    const known = this.identityValue !== undefined && this.clockMap.synced;
    const rejoin = known && !this.clockMap.isStep(hi.clk);
    if (known && !rejoin) {
      this.stats.reboots++;
      for (const g of this.intake.decoder.rebootGaps(this.clock.now(), `board restarted while the link was down (clk ${hi.clk} ms)`)) this.safeEmit('gap', g);
    }
    if (!rejoin) this.clockMap.reset();
    this.clockMap.see(hi.clk);
    this.intake.reconnected(rejoin);
    await this.sendCfg();
    // A rejoin keeps its mapping; one exchange refreshes it (a pong may wait behind the backlog).
    await this.sync.sync(rejoin ? 1 : this.o.syncPings, !rejoin, rejoin);
    this.intake.synced();
    const caps = { analogs: [...this.ranges.keys()], pins: [...this.pins], maxHz: hi.caps.hz, streamed: hi.caps.st === 1 };
    return { boardId: this.id, firmware: hi.fw, protocol: hi.v, capabilities: caps };
  }

  private async sendCfg(): Promise<void> {
    const r = await askCfg((q) => this.request(q, this.o.requestTimeoutMs), this.hardware, this.lt());
    if (r.refused.length > 0) this.logger.warn({ board: this.id, refused: r.refused }, 'board refused part of its board config (readers/pins it cannot sample); check the pins in the remote part config');
    this.ranges = r.ranges;
    this.pins = r.pins;
  }

  /** A new plan generation (new keys, the board numbers batches from 0). */
  private async sendNewPlan(streamed: SamplingEntry[]): Promise<void> {
    this.intake.stopWatchdog();
    this.intake.decoder.setPlan(streamed);
    await this.sendPlan();
  }

  private async sendPlan(): Promise<void> {
    await this.request({ ...this.intake.decoder.planFrame(this.o.batchMs), ...this.lt() }, this.o.requestTimeoutMs);
  }

  private lt(): { lt?: number } {
    return this.o.linkTimeoutMs > 0 ? { lt: this.o.linkTimeoutMs } : {};
  }

  private linkDown(reason: string): void {
    if (this.stateValue === 'closed' || this.stateValue === 'offline') return;
    const link = this.link;
    this.link = undefined;
    this.linkEpoch++;
    this.stopTimers();
    this.channel.rejectAll(new WharfError('BOARD_DISCONNECTED', `board ${this.id} (${this.connector.where}): ${reason}`));
    if (link !== undefined) void link.close().catch(() => undefined);
    this.logger.warn({ board: this.id, where: this.connector.where, reason }, 'board link down');
    this.setState('offline', reason);
    this.startWatch();
  }

  /** Poll the connector while offline; reconnect as soon as it says the link is there. */
  private startWatch(): void {
    if (this.o.autoReconnect && this.stateValue !== 'closed') this.watcher.start();
  }

  private stopWatch(): void {
    this.watcher.stop();
  }

  private stopTimers(): void {
    this.sync.stop();
    this.intake.stopWatchdog();
    this.stopWatch();
  }

  // --- frames ---------------------------------------------------------------------------------

  private onFrame(text: string): void {
    this.stats.frames++;
    const d = decodeBoardFrame(text);
    if (!d.ok) return this.onBad(d.reason, text);
    const f = d.frame;
    switch (f.t) {
      case 'b':
        return this.intake.batch(f);
      case 'gap':
        return this.intake.gap(f);
      case 'hi':
        if (f.id !== undefined && this.channel.answer(f.id, f)) return;
        if (this.stateValue === 'online') this.reboot(`board announced itself again (unsolicited hi, clk ${f.clk})`);
        return;
      case 'ok':
      case 'err':
      case 'val':
      case 'pong':
        if (!this.channel.answer(f.id, f)) this.stats.lateAnswers++;
        return;
      default:
        this.stats.unknownFrames++;
    }
  }

  private onBad(reason: string, text?: string): void {
    this.stats.badFrames++;
    const s = this.badLog.take(this.clock.now());
    if (s < 0) return;
    const sample = text === undefined ? undefined : JSON.stringify(text.slice(0, 60));
    this.logger.warn({ board: this.id, where: this.connector.where, reason, sample, suppressedSinceLast: s, badFrames: this.stats.badFrames }, 'bad frame from board skipped');
  }

  /** Reboot: account the lost span per streamed entry, reset the clock, re-send cfg and plan. */
  private reboot(why: string): void {
    if (this.rebooting || this.stateValue !== 'online') return;
    this.rebooting = true;
    this.stats.reboots++;
    const now = this.clock.now();
    this.logger.warn({ board: this.id, where: this.connector.where, why }, 'board rebooted; re-sending config and plan');
    for (const g of this.intake.decoder.rebootGaps(now, why)) this.safeEmit('gap', g);
    this.clockMap.reset();
    void (async () => {
      try {
        await this.sendCfg();
        await this.sync.sync(this.o.syncPings, true);
        this.intake.synced();
        if (this.intake.decoder.size > 0) await this.sendPlan();
      } catch (err) {
        this.linkDown(`re-handshake after reboot failed: ${errorMessage(err)}`);
      } finally {
        this.rebooting = false;
      }
    })();
  }

  // --- helpers --------------------------------------------------------------------------------

  private request(req: GatewayRequest, timeoutMs: number): Promise<BoardFrame> {
    return this.channel.request(req, timeoutMs);
  }

  private noteClk(clk: number): void {
    if (this.clockMap.isStep(clk)) this.reboot(`board clock stepped back to ${clk} ms`);
    else this.clockMap.see(clk);
  }

  private requireOnline(): BoardIdentity {
    if (this.stateValue !== 'online' || this.identityValue === undefined) {
      throw new WharfError('BOARD_DISCONNECTED', `board ${this.id} (${this.connector.where}) is ${this.stateValue}: connect() first`);
    }
    return this.identityValue;
  }

  private checkReaders(method: CaptureMethod, readers: string[]): void {
    const known = method === 'Analogs' ? this.ranges : this.pins;
    for (const r of readers) {
      if (!known.has(r)) {
        throw new WharfError('BOARD_UNSUPPORTED', `board ${this.id}: ${method === 'Analogs' ? 'analog reader' : 'GPIO pin'} '${r}' is not in its board config (known: ${[...known.keys()].join(', ') || 'none'})`);
      }
    }
  }

  private setState(state: BoardState, reason?: string): void {
    this.stateValue = state;
    this.safeEmit('status', { state, at: this.clock.now(), ...(reason === undefined ? {} : { reason }) });
  }

  private safeEmit<K extends keyof BoardEvents>(event: K, ...args: BoardEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: BoardEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error({ board: this.id, event, err: errorMessage(err) }, 'a board event listener threw');
    }
  }
}
