/**
 * Where each frame from the board goes: answers to the request channel, batches and gap frames to
 * the stream intake, an unsolicited `hi` to whoever listens for the board announcing itself (a
 * pending `hello`, see askHello) or, once online, to the reboot path. Undecodable frames are
 * counted and logged at most every 10 s (BadFrameLog).
 */
import type { BoardState } from '../board.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { RateLimitedLog } from './link.js';
import { decodeBoardFrame, type HiFrame } from './messages.js';
import type { RequestChannel } from './request-channel.js';
import type { StreamIntake } from './stream-intake.js';
import type { LinkStats } from './values.js';

export interface FrameRoutes {
  stats: LinkStats;
  intake: StreamIntake;
  channel: RequestChannel;
  state: () => BoardState;
  /** The board announced itself while online: it restarted under a running link. */
  reboot: (why: string) => void;
  bad: (reason: string, text?: string) => void;
}

export class FrameRouter {
  private readonly announceListeners = new Set<(hi: HiFrame) => void>();

  constructor(private readonly r: FrameRoutes) {}

  /** Calls `fn` on every unsolicited `hi` while connecting; returns the unsubscribe. */
  onAnnounce(fn: (hi: HiFrame) => void): () => void {
    this.announceListeners.add(fn);
    return () => void this.announceListeners.delete(fn);
  }

  route(text: string): void {
    const { stats, intake, channel } = this.r;
    stats.frames++;
    const d = decodeBoardFrame(text);
    if (!d.ok) return this.r.bad(d.reason, text);
    const f = d.frame;
    switch (f.t) {
      case 'b':
        return intake.batch(f);
      case 'gap':
        return intake.gap(f);
      case 'hi': {
        // An answer (it has an id) is never an announcement, also when nobody waits for it any more
        // (the answer to a hello given up when the board announced itself).
        if (f.id !== undefined) {
          if (!channel.answer(f.id, f)) stats.lateAnswers++;
          return;
        }
        const state = this.r.state();
        if (state === 'online')
          this.r.reboot(`board announced itself again (unsolicited hi, clk ${f.clk})`);
        else if (state === 'connecting') for (const fn of [...this.announceListeners]) fn(f);
        return;
      }
      case 'ok':
      case 'err':
      case 'val':
      case 'pong':
        if (!channel.answer(f.id, f)) stats.lateAnswers++;
        return;
      default:
        stats.unknownFrames++;
    }
  }
}

/** Bad frames: counted always, logged with a sample at most every 10 s (with the count skipped). */
export class BadFrameLog {
  private readonly limit = new RateLimitedLog(10_000);

  constructor(
    private readonly board: string,
    private readonly where: string,
    private readonly stats: LinkStats,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  note(reason: string, text?: string): void {
    this.stats.badFrames++;
    const s = this.limit.take(this.clock.now());
    if (s < 0) return;
    const sample = text === undefined ? undefined : JSON.stringify(text.slice(0, 60));
    this.logger.warn(
      {
        board: this.board,
        where: this.where,
        reason,
        sample,
        suppressedSinceLast: s,
        badFrames: this.stats.badFrames,
      },
      'bad frame from board skipped',
    );
  }
}
