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
 */
import { EventEmitter } from 'node:events';
import type { Board, BoardEvents, BoardGap, BoardIdentity, BoardState, CaptureMethod, ReadOptions, SamplingEntry, StreamedSample } from '../board.js';
import type { BoardHardwareConfig } from '../board.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { WharfError, errorMessage, isWharfError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { GapReason, ReadingData } from '../../shared/record.js';
import { ClockMap } from './clock-map.js';
import { RateLimitedLog, type Connector, type FrameLink } from './link.js';
import { PROTOCOL_VERSION, decodeBoardFrame, encodeFrame, type BatchFrame, type BoardFrame, type GapFrame, type GatewayRequest, type HiFrame, type OkFrame } from './messages.js';
import { Waitress } from './waitress.js';
import { LinkStats, boardError, toReadingData } from './values.js';

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

interface ActivePlan {
  gen: number;
  byShort: Map<string, SamplingEntry>;
  entries: SamplingEntry[];
  lastT: Map<string, number>;
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
  private plan: ActivePlan = { gen: 0, byShort: new Map(), entries: [], lastT: new Map() };
  private pingTimer: TimerHandle | undefined;
  private watchTimer: TimerHandle | undefined;
  private missedPings = 0;
  private rebooting = false;
  private readonly badLog = new RateLimitedLog(10_000);
  private readonly seenGaps = new Set<string>();
  private readonly o: Required<ProtocolBoardOptions>;
  private readonly waitress: Waitress;

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
    this.waitress = new Waitress(clock);
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
    const gen = this.plan.gen + 1;
    const byShort = new Map<string, SamplingEntry>();
    streamed.forEach((e, i) => byShort.set(`${gen}.${i}`, { ...e, readers: [...e.readers] }));
    this.plan = { gen, byShort, entries: streamed, lastT: new Map() };
    await this.sendPlan();
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
    this.rejectAll(new WharfError('BOARD_DISCONNECTED', `board ${this.id}: closed by gateway`));
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
      this.schedulePing();
      return ident;
    } catch (err) {
      if (epoch === this.linkEpoch) {
        this.link = undefined;
        this.linkEpoch++;
        await link.close().catch(() => undefined);
        this.rejectAll(new WharfError('BOARD_DISCONNECTED', `board ${this.id}: handshake failed`));
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

  private async handshake(): Promise<BoardIdentity> {
    let hi: HiFrame | undefined;
    for (let i = 0; i < this.o.helloAttempts && hi === undefined; i++) {
      try {
        const f = await this.request({ t: 'hello', v: PROTOCOL_VERSION, ...this.lt() }, this.o.requestTimeoutMs);
        if (f.t === 'hi') hi = f;
      } catch (err) {
        if (!isWharfError(err, 'BOARD_TIMEOUT') || i === this.o.helloAttempts - 1) throw err;
      }
    }
    if (hi === undefined) throw new WharfError('BOARD_PROTOCOL', `board ${this.id} (${this.connector.where}) did not identify itself`);
    if (hi.v !== PROTOCOL_VERSION) {
      throw new WharfError('BOARD_PROTOCOL', `board ${this.id} speaks wire protocol v${hi.v}, the gateway v${PROTOCOL_VERSION}: flash matching firmware (wharf firmware build)`);
    }
    if (hi.bid !== this.id) this.logger.warn({ board: this.id, reported: hi.bid, where: this.connector.where }, 'board reports a different id than configured; data is recorded under the configured id');
    this.clockMap.reset();
    this.clockMap.see(hi.clk);
    await this.sendCfg();
    await this.syncClock(this.o.syncPings);
    const caps = { analogs: [...this.ranges.keys()], pins: [...this.pins], maxHz: hi.caps.hz, streamed: hi.caps.st === 1 };
    return { boardId: this.id, firmware: hi.fw, protocol: hi.v, capabilities: caps };
  }

  private async sendCfg(): Promise<void> {
    const f = await this.request({ t: 'cfg', a: this.hardware.analogs.map((a) => [a.name, a.pin]), p: [...this.hardware.pins], ...this.lt() }, this.o.requestTimeoutMs);
    const ok = f as OkFrame;
    if (Array.isArray(ok.x) && ok.x.length > 0) {
      this.logger.warn({ board: this.id, refused: ok.x }, 'board refused part of its board config (readers/pins it cannot sample); check the pins in the remote part config');
    }
    this.ranges = new Map((ok.a ?? []).map((x) => [x[0], [x[1], x[2], x[3]]]));
    this.pins = new Set(ok.p ?? []);
  }

  private async sendPlan(): Promise<void> {
    const e = [...this.plan.byShort].map(([k, x]) => ({ k, m: x.method === 'Analogs' ? ('A' as const) : ('G' as const), r: x.readers, hz: x.hz }));
    await this.request({ t: 'plan', e, bms: this.o.batchMs, ...this.lt() }, this.o.requestTimeoutMs);
  }

  private lt(): { lt?: number } {
    return this.o.linkTimeoutMs > 0 ? { lt: this.o.linkTimeoutMs } : {};
  }

  private async syncClock(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await this.ping();
  }

  private async ping(): Promise<void> {
    const send = this.clock.now();
    const f = await this.request({ t: 'ping', g: send }, this.o.requestTimeoutMs);
    const recv = this.clock.now();
    if (f.t !== 'pong') return;
    if (this.clockMap.isStep(f.clk)) {
      this.reboot(`board clock stepped back to ${f.clk} ms`);
      return;
    }
    this.clockMap.add({ clk: f.clk, sendMs: send, recvMs: recv });
    this.stats.pings++;
  }

  private schedulePing(): void {
    if (this.pingTimer !== undefined) this.clock.clearTimer(this.pingTimer);
    this.pingTimer = this.clock.setTimer(() => {
      this.pingTimer = undefined;
      if (this.stateValue !== 'online') return;
      this.ping().then(
        () => {
          this.missedPings = 0;
        },
        (err: unknown) => {
          if (!isWharfError(err, 'BOARD_TIMEOUT')) return;
          this.missedPings++;
          if (this.missedPings >= this.o.maxMissedPings) this.linkDown(`${this.missedPings} pings unanswered`);
        },
      ).finally(() => {
        if (this.stateValue === 'online') this.schedulePing();
      });
    }, this.o.pingIntervalMs);
  }

  private linkDown(reason: string): void {
    if (this.stateValue === 'closed' || this.stateValue === 'offline') return;
    const link = this.link;
    this.link = undefined;
    this.linkEpoch++;
    this.stopTimers();
    this.missedPings = 0;
    this.rejectAll(new WharfError('BOARD_DISCONNECTED', `board ${this.id} (${this.connector.where}): ${reason}`));
    if (link !== undefined) void link.close().catch(() => undefined);
    this.logger.warn({ board: this.id, where: this.connector.where, reason }, 'board link down');
    this.setState('offline', reason);
    this.startWatch();
  }

  /** Poll the connector while offline; reconnect as soon as it says the link is there. */
  private startWatch(): void {
    if (!this.o.autoReconnect || this.watchTimer !== undefined || this.stateValue === 'closed') return;
    this.watchTimer = this.clock.setTimer(() => {
      this.watchTimer = undefined;
      if (this.stateValue !== 'offline' || this.connecting !== undefined) return;
      void (async () => {
        let ready = true;
        try {
          ready = this.connector.available === undefined ? true : await this.connector.available();
        } catch {
          ready = false;
        }
        if (this.stateValue !== 'offline' || this.connecting !== undefined) return;
        if (!ready) return this.startWatch();
        await this.connect().catch(() => undefined); // failConnect restarts the watch
      })();
    }, this.o.reconnectPollMs);
  }

  private stopWatch(): void {
    if (this.watchTimer !== undefined) this.clock.clearTimer(this.watchTimer);
    this.watchTimer = undefined;
  }

  private stopTimers(): void {
    if (this.pingTimer !== undefined) this.clock.clearTimer(this.pingTimer);
    this.pingTimer = undefined;
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
        return this.onBatch(f);
      case 'gap':
        return this.onGapFrame(f);
      case 'hi':
        if (f.id !== undefined && this.answer(f.id, f)) return;
        if (this.stateValue === 'online') this.reboot(`board announced itself again (unsolicited hi, clk ${f.clk})`);
        return;
      case 'ok':
      case 'err':
      case 'val':
      case 'pong':
        if (!this.answer(f.id, f)) this.stats.lateAnswers++;
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

  private onBatch(f: BatchFrame): void {
    const received = this.clock.now();
    if (this.stateValue !== 'online' && !this.rebooting) return void this.stats.staleBatches++;
    const entry = this.plan.byShort.get(f.k);
    if (entry === undefined) return void this.stats.staleBatches++;
    const last = f.t0 + f.dt * Math.max(0, f.v.length - 1);
    if (this.clockMap.isStep(f.t0)) {
      this.reboot(`board clock stepped back to ${f.t0} ms in a batch`);
      return;
    }
    this.clockMap.see(last);
    const width = entry.readers.length;
    const samples: StreamedSample[] = [];
    for (let i = 0; i < f.v.length; i++) {
      const row = f.v[i]!;
      if (row.length !== width) {
        this.onBad(`batch ${f.k}#${f.s} sample ${i} has ${row.length} values for ${width} readers`);
        return;
      }
      samples.push({ timeRequested: this.clockMap.toGateway(f.t0 + i * f.dt), timeReceived: received, data: toReadingData(entry.method, entry.readers, row, this.ranges) });
    }
    this.stats.batches++;
    if (samples.length > 0) this.plan.lastT.set(entry.key, samples[samples.length - 1]!.timeRequested);
    this.safeEmit('batch', { key: entry.key, seq: f.s, samples });
  }

  private onGapFrame(f: GapFrame): void {
    const entry = f.k === undefined ? undefined : this.plan.byShort.get(f.k);
    if (f.k !== undefined && entry === undefined) return;
    // A board with a link timeout re-sends recent gap frames after an outage: count each once.
    const id = `${f.k ?? ''}|${f.why}|${f.t0}`;
    if (this.seenGaps.has(id)) return void this.stats.repeatedGaps++;
    this.seenGaps.add(id);
    if (this.seenGaps.size > 256) this.seenGaps.delete(this.seenGaps.values().next().value!);
    const reason: GapReason = f.why === 'backlog_overflow' || f.why === 'missed_ticks' ? f.why : 'read_error';
    const g: BoardGap = { reason, start: this.clockMap.toGateway(f.t0), end: this.clockMap.toGateway(f.t1), count: f.n, detail: `board reported ${f.why}` };
    if (entry !== undefined) g.key = entry.key;
    this.safeEmit('gap', g);
  }

  /** Reboot: account the lost span per streamed entry, reset the clock, re-send cfg and plan. */
  private reboot(why: string): void {
    if (this.rebooting || this.stateValue !== 'online') return;
    this.rebooting = true;
    this.stats.reboots++;
    const now = this.clock.now();
    this.logger.warn({ board: this.id, where: this.connector.where, why }, 'board rebooted; re-sending config and plan');
    const entries = [...this.plan.byShort.values()];
    if (entries.length === 0) this.safeEmit('gap', { reason: 'board_reboot', start: now, end: now, count: 0, detail: why });
    for (const e of entries) {
      const period = 1000 / e.hz;
      const lastT = this.plan.lastT.get(e.key);
      const start = lastT === undefined ? now : lastT + period;
      const count = Math.max(0, Math.round((now - start) / period) + 1);
      this.safeEmit('gap', { key: e.key, reason: 'board_reboot', start, end: now, count, detail: why });
      this.plan.lastT.set(e.key, now);
    }
    this.clockMap.reset();
    void (async () => {
      try {
        await this.sendCfg();
        await this.syncClock(this.o.syncPings);
        if (this.plan.byShort.size > 0) await this.sendPlan();
      } catch (err) {
        this.linkDown(`re-handshake after reboot failed: ${errorMessage(err)}`);
      } finally {
        this.rebooting = false;
      }
    })();
  }

  // --- requests -------------------------------------------------------------------------------

  private async request(req: GatewayRequest, timeoutMs: number): Promise<BoardFrame> {
    const write = (frame: Record<string, unknown>) => {
      const link = this.link;
      if (link === undefined) throw new WharfError('BOARD_DISCONNECTED', `board ${this.id} (${this.connector.where}) is not connected`);
      link.send(encodeFrame(frame));
    };
    let f: BoardFrame;
    try {
      f = await this.waitress.request(req, timeoutMs, write, `board ${this.id} (${this.connector.where})`);
    } catch (err) {
      if (isWharfError(err, 'BOARD_TIMEOUT')) this.stats.timeouts++;
      throw err;
    }
    if (f.t === 'err') throw boardError(this.id, req.t, f);
    return f;
  }

  private answer(id: number, f: BoardFrame): boolean {
    return this.waitress.answer(id, f);
  }

  private rejectAll(err: Error): void {
    this.waitress.rejectAll(err);
  }

  // --- helpers --------------------------------------------------------------------------------

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
