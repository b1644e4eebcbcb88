/**
 * The link half of a protocol board: opening the frame link through the Connector, the handshake
 * run (the subclass says what it is), going offline when the link drops and reconnecting by itself
 * while the connector says the link is available again (poll every ≤ 1 s), status events. Received
 * frames go through the FrameRouter (frame-router.ts); the options are in protocol-options.ts.
 */
import type { BoardHardwareConfig, BoardIdentity, BoardState } from '../board.js';
import type { Clock } from '../../shared/clock.js';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import { ClockMap } from './clock-map.js';
import { ClockSync } from './clock-sync.js';
import { BadFrameLog, FrameRouter } from './frame-router.js';
import { LinkWatcher, type Connector, type FrameLink } from './link.js';
import { WIRE, encodeFrame, type BoardFrame, type GatewayRequest } from './messages.js';
import { withDefaults, type ProtocolBoardOptions } from './protocol-options.js';
import { RequestChannel } from './request-channel.js';
import { StreamIntake } from './stream-intake.js';
import { LinkStats } from './values.js';
import { BoardEmitter } from '../board-emitter.js';

export type { ProtocolBoardOptions } from './protocol-options.js';

export abstract class ProtocolLink extends BoardEmitter {
  readonly id: string;
  readonly stats = new LinkStats();
  readonly clockMap = new ClockMap();
  protected link: FrameLink | undefined;
  private linkEpoch = 0;
  private connecting: Promise<BoardIdentity> | undefined;
  protected identityValue: BoardIdentity | undefined;
  protected ranges = new Map<string, [number, number, number]>();
  protected pins = new Set<string>();
  protected readonly intake: StreamIntake;
  protected readonly sync: ClockSync;
  protected readonly channel: RequestChannel;
  private readonly watcher: LinkWatcher;
  protected readonly router: FrameRouter;
  private readonly badLog: BadFrameLog;
  protected rebooting = false;
  protected readonly o: Required<ProtocolBoardOptions>;

  constructor(
    id: string,
    protected readonly hardware: BoardHardwareConfig,
    protected readonly connector: Connector,
    clock: Clock,
    logger: Logger = nullLogger,
    opts: ProtocolBoardOptions = {},
  ) {
    super(clock, logger);
    this.id = id;
    this.o = withDefaults(opts);
    this.channel = new RequestChannel(clock, id, connector.where, this.stats, () => this.link);
    const online = () => this.stateValue === 'online';
    this.sync = new ClockSync(
      this.clockMap,
      clock,
      this.stats,
      {
        request: (r, t) => this.request(r, t),
        online,
        stepped: (why) => this.reboot(why),
        sameBoot: (bt) => this.sameBoot(bt),
        dead: (reason) => this.linkDown(reason),
      },
      this.o,
    );
    this.intake = new StreamIntake(
      id,
      this.clockMap,
      clock,
      this.stats,
      logger,
      () => this.ranges,
      {
        resend: (k, s) => {
          try {
            this.link?.send(encodeFrame({ t: WIRE.resend, k, s }));
          } catch {
            /* link gone: the held frames are delivered when the wait ends */
          }
        },
        batch: (b) => this.safeEmit('batch', b),
        gap: (g) => this.safeEmit('gap', g),
        bad: (reason) => this.onBad(reason),
        stepped: (why) => this.reboot(why),
      },
    );
    this.badLog = new BadFrameLog(id, connector.where, this.stats, clock, logger);
    this.router = new FrameRouter({
      stats: this.stats,
      intake: this.intake,
      channel: this.channel,
      state: () => this.stateValue,
      reboot: (why) => this.reboot(why),
      bad: (reason, text) => this.onBad(reason, text),
    });
    this.watcher = new LinkWatcher(
      clock,
      this.o.reconnectPollMs,
      () => this.stateValue === 'offline' && this.connecting === undefined,
      () => connector.available?.() ?? true,
      () => this.connect(),
      connector.watch?.bind(connector),
    );
  }

  get state(): BoardState {
    return this.stateValue;
  }

  connect(): Promise<BoardIdentity> {
    if (this.stateValue === 'closed')
      return Promise.reject(
        new WharfError(
          'BOARD_DISCONNECTED',
          `board ${this.id} (${this.connector.where}) is closed`,
        ),
      );
    if (this.stateValue === 'online' && this.identityValue !== undefined)
      return Promise.resolve(this.identityValue);
    if (this.connecting === undefined) {
      this.connecting = this.doConnect().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  async close(): Promise<void> {
    if (this.stateValue === 'closed') return;
    this.stopTimers();
    const link = this.link;
    this.link = undefined;
    this.linkEpoch++;
    this.channel.rejectAll(
      new WharfError('BOARD_DISCONNECTED', `board ${this.id}: closed by gateway`),
    );
    this.setState('closed', 'closed by gateway');
    if (link !== undefined) await link.close().catch(() => undefined);
  }

  /** Current identity (after connect). */
  get identity(): BoardIdentity | undefined {
    return this.identityValue;
  }

  /**
   * hello → cfg → pings → the board's identity (the link is open, state `connecting`). A board that
   * answers with a clock continuing the one seen before is the same run of the board (a rejoin):
   * the clock mapping stays, so the backlog it drains right away is mapped and delivered, and its
   * plan is kept. A clock that stepped back: it restarted while the link was down (its backlog is
   * gone) — `board_reboot` gaps, a fresh mapping, a new plan.
   */
  protected abstract handshake(): Promise<BoardIdentity>;

  /** The board restarted under a running link. */
  protected abstract reboot(why: string): void;

  /** Whether boot id `bt` (absent: not reported) is the run of the board this link knows. */
  protected abstract sameBoot(bt: string | undefined): boolean;

  // --- connection -----------------------------------------------------------------------------

  private async doConnect(): Promise<BoardIdentity> {
    this.stopWatch();
    this.setState('connecting');
    const epoch = ++this.linkEpoch;
    let link: FrameLink;
    try {
      link = await this.connector.open({
        frame: (text) => {
          if (epoch === this.linkEpoch) this.router.route(text);
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
      throw new WharfError(
        'BOARD_DISCONNECTED',
        `board ${this.id}: ${this.stateValue === 'closed' ? 'closed' : 'link lost'} during connect`,
      );
    }
    this.link = link;
    try {
      const ident = await this.handshake();
      if (epoch !== this.linkEpoch || this.stateValue !== 'connecting')
        throw new WharfError('BOARD_DISCONNECTED', `board ${this.id}: link lost during handshake`);
      this.identityValue = ident;
      this.setState('online');
      this.sync.start();
      return ident;
    } catch (err) {
      if (epoch === this.linkEpoch) {
        this.link = undefined;
        this.linkEpoch++;
        await link.close().catch(() => undefined);
        this.channel.rejectAll(
          new WharfError('BOARD_DISCONNECTED', `board ${this.id}: handshake failed`),
        );
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

  /** The link dropped: pending requests fail, state offline, watch for the link to come back. */
  protected linkDown(reason: string): void {
    if (this.stateValue === 'closed' || this.stateValue === 'offline') return;
    const link = this.link;
    this.link = undefined;
    this.linkEpoch++;
    this.stopTimers();
    this.channel.rejectAll(
      new WharfError('BOARD_DISCONNECTED', `board ${this.id} (${this.connector.where}): ${reason}`),
    );
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
    this.stopWatch();
  }

  protected onBad(reason: string, text?: string): void {
    this.badLog.note(reason, text);
  }

  /** One request over the current link; `signal` gives up the wait (RequestChannel). */
  protected request(
    req: GatewayRequest,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<BoardFrame> {
    return this.channel.request(req, timeoutMs, signal);
  }
}
