/**
 * Clock sync over the request channel: ping/pong exchanges feed the ClockMap, N at (re)handshake,
 * then one every `pingIntervalMs` while online; `maxMissedPings` unanswered in a row take the link
 * down; a pong whose clock stepped back is a reboot.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { isWharfError } from '../../shared/errors.js';
import type { ClockMap } from './clock-map.js';
import type { BoardFrame, GatewayRequest } from './messages.js';
import type { LinkStats } from './values.js';

export interface ClockSyncHost {
  request(req: GatewayRequest, timeoutMs: number): Promise<BoardFrame>;
  online(): boolean;
  /** The board clock stepped back: the board restarted. */
  stepped(why: string): void;
  /** Whether a pong's boot id (absent: not reported) is the board's current run. */
  sameBoot(bt: string | undefined): boolean;
  /** Too many pings unanswered: the link is dead. */
  dead(reason: string): void;
}

export interface ClockSyncOptions {
  requestTimeoutMs: number;
  pingIntervalMs: number;
  maxMissedPings: number;
}

export class ClockSync {
  private timer: TimerHandle | undefined;
  private missed = 0;

  constructor(
    private readonly clockMap: ClockMap,
    private readonly clock: Clock,
    private readonly stats: LinkStats,
    private readonly host: ClockSyncHost,
    private readonly o: ClockSyncOptions,
  ) {}

  /**
   * `n` exchanges. `free`: no samples flow yet, so the estimate may step. `tolerant`: the board is
   * draining a backlog and its pongs wait behind it (a rejoin, or a board that kept running while
   * the gateway restarted), so an exchange that times out is skipped and another one is sent —
   * until `n` were answered or `n` timed out; it fails only when no exchange ever mapped the clock.
   */
  async sync(n: number, free: boolean, tolerant = false): Promise<void> {
    let answered = 0;
    let timedOut = 0;
    while (answered < n) {
      try {
        await this.ping(free);
        answered++;
      } catch (err) {
        if (!tolerant || !isWharfError(err, 'BOARD_TIMEOUT')) throw err;
        if (++timedOut >= n) {
          if (this.clockMap.synced) return;
          throw err;
        }
      }
    }
  }

  /** Periodic pings while online. */
  start(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      if (!this.host.online()) return;
      this.ping()
        .then(
          () => {
            this.missed = 0;
          },
          (err: unknown) => {
            if (!isWharfError(err, 'BOARD_TIMEOUT')) return;
            this.missed++;
            if (this.missed >= this.o.maxMissedPings)
              this.host.dead(`${this.missed} pings unanswered`);
          },
        )
        .finally(() => {
          if (this.host.online()) this.start();
        });
    }, this.o.pingIntervalMs);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.missed = 0;
  }

  private async ping(free = false): Promise<void> {
    const send = this.clock.now();
    const f = await this.host.request({ t: 'ping', g: send }, this.o.requestTimeoutMs);
    const recv = this.clock.now();
    if (f.t !== 'pong') return;
    if (this.clockMap.isStep(f.clk)) {
      this.host.stepped(`board clock stepped back to ${f.clk} ms`);
      return;
    }
    // a board that restarted a short while after it started shows no clock step: its boot id does
    if (!this.host.sameBoot(f.bt)) {
      this.host.stepped(`board reports another boot id (${f.bt}; clk ${f.clk} ms)`);
      return;
    }
    this.clockMap.add({ clk: f.clk, sendMs: send, recvMs: recv }, free);
    this.stats.pings++;
  }
}
