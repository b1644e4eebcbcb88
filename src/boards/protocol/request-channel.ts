/**
 * Requests to the board over the current frame link: a fresh id per request (Waitress), the frame
 * written to whatever link is open now, BOARD_TIMEOUT counted, a board `err` answer turned into a
 * WharfError (boardError).
 */
import type { Clock } from '../../shared/clock.js';
import { WharfError, isWharfError } from '../../shared/errors.js';
import type { FrameLink } from './link.js';
import { encodeFrame, type BoardFrame, type GatewayRequest } from './messages.js';
import { boardError, type LinkStats } from './values.js';
import { Waitress } from './waitress.js';

export class RequestChannel {
  private readonly waitress: Waitress;

  constructor(
    clock: Clock,
    private readonly boardId: string,
    private readonly where: string,
    private readonly stats: LinkStats,
    private readonly link: () => FrameLink | undefined,
  ) {
    this.waitress = new Waitress(clock);
  }

  /** `signal`: give up waiting (see Waitress.request). */
  async request(req: GatewayRequest, timeoutMs: number, signal?: AbortSignal): Promise<BoardFrame> {
    const write = (frame: Record<string, unknown>) => {
      const link = this.link();
      if (link === undefined)
        throw new WharfError(
          'BOARD_DISCONNECTED',
          `board ${this.boardId} (${this.where}) is not connected`,
        );
      link.send(encodeFrame(frame));
    };
    let f: BoardFrame;
    try {
      f = await this.waitress.request(
        req,
        timeoutMs,
        write,
        `board ${this.boardId} (${this.where})`,
        signal,
      );
    } catch (err) {
      if (isWharfError(err, 'BOARD_TIMEOUT')) this.stats.timeouts++;
      throw err;
    }
    if (f.t === 'err') throw boardError(this.boardId, req.t, f);
    return f;
  }

  /** Hand an answer to its waiter; false when nobody waits for that id (late answer). */
  answer(id: number, f: BoardFrame): boolean {
    return this.waitress.answer(id, f);
  }

  rejectAll(err: Error): void {
    this.waitress.rejectAll(err);
  }
}
