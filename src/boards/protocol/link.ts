/**
 * What a concrete transport (serial, MQTT) gives the protocol engine: a way to open a frame link
 * and, optionally, a cheap way to tell whether opening could succeed now (the port exists again,
 * the board's retained status says online), used to reconnect by itself within a second.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';

export interface FrameLink {
  /** Write one frame (no newline). Throws BOARD_DISCONNECTED when the link is down. */
  send(frame: string): void;
  /** Close the link; no more handler calls afterwards. */
  close(): Promise<void>;
}

export interface LinkHandlers {
  /** One received frame (a line / a message payload). */
  frame(text: string): void;
  /** Bytes that could not even be framed (overlong line). */
  junk(reason: string, bytes: number): void;
  /** The link went away (port closed, board offline). Called at most once per open link. */
  down(reason: string): void;
}

export interface Connector {
  /** Where the board is, for messages: "serial /dev/ttyUSB0", "mqtt wharf/esp-1". */
  readonly where: string;
  /** Open the link; rejects with BOARD_DISCONNECTED (or BOARD_AUTH) when it cannot. */
  open(h: LinkHandlers): Promise<FrameLink>;
  /** Whether open() is worth trying now. Absent: always try. */
  available?(): boolean | Promise<boolean>;
  /**
   * Calls `fn` whenever the link may have become available (an MQTT board's session started), so
   * the board reconnects at once instead of at the next poll. Returns the unsubscribe function.
   */
  watch?(fn: () => void): () => void;
}

export class RateLimitedLog {
  private last = -Infinity;
  private suppressed = 0;

  constructor(private readonly everyMs: number) {}

  /** Returns the number of suppressed events to report, or -1 when this one should be suppressed. */
  take(now: number): number {
    if (now - this.last < this.everyMs) {
      this.suppressed++;
      return -1;
    }
    this.last = now;
    const s = this.suppressed;
    this.suppressed = 0;
    return s;
  }
}

/**
 * Reconnects a board by itself: while `idle()` (offline, not already connecting), polls
 * `available()` every `pollMs` and calls `reconnect()` when it says yes. A failed reconnect is
 * expected to call start() again (the board's connect-failure path does).
 */
export class LinkWatcher {
  private timer: TimerHandle | undefined;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly pollMs: number,
    private readonly idle: () => boolean,
    private readonly available: () => boolean | Promise<boolean>,
    private readonly reconnect: () => Promise<unknown>,
    /** Event source that says "check now" (Connector.watch); polling stays as the fallback. */
    private readonly watch?: (fn: () => void) => () => void,
  ) {}

  start(): void {
    if (this.unwatch === undefined && this.watch !== undefined)
      this.unwatch = this.watch(() => {
        if (this.timer === undefined) return; // not watching (stopped, or a check is running)
        this.clock.clearTimer(this.timer);
        this.timer = undefined;
        this.check();
      });
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.check();
    }, this.pollMs);
  }

  stop(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private check(): void {
    if (!this.idle()) return;
    void (async () => {
      let ready: boolean;
      try {
        ready = await this.available();
      } catch {
        ready = false;
      }
      if (!this.idle()) return;
      if (!ready) return this.start();
      await this.reconnect().catch(() => undefined);
    })();
  }
}
