/**
 * Request/response over a frame link: every request gets an id; its waiter and timeout are
 * registered *before* the frame is written, so an answer can never arrive unobserved. An answer
 * with an unknown id (late, after its timeout) is reported to the caller (counted, not an error).
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { WharfError } from '../../shared/errors.js';
import type { BoardFrame, GatewayRequest } from './messages.js';

interface Waiter {
  resolve: (f: BoardFrame) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

export class Waitress {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();

  constructor(private readonly clock: Clock) {}

  get pending(): number {
    return this.waiting.size;
  }

  /**
   * Send `req` with a fresh id through `write` and wait for the frame with the same id.
   * Rejects BOARD_TIMEOUT after `timeoutMs`; rejects with what `write` throws; rejects with the
   * signal's reason when `signal` aborts first (the wait is given up: an answer after that is late).
   */
  request(
    req: GatewayRequest,
    timeoutMs: number,
    write: (frame: Record<string, unknown>) => void,
    what: string,
    signal?: AbortSignal,
  ): Promise<BoardFrame> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    return new Promise<BoardFrame>((resolve, reject) => {
      const onAbort = () => {
        if (this.waiting.get(id) !== w) return;
        this.waiting.delete(id);
        this.clock.clearTimer(w.timer);
        reject(abortReason(signal!));
      };
      const w: Waiter = {
        resolve: (f) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(f);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        timer: this.clock.setTimer(() => {
          signal?.removeEventListener('abort', onAbort);
          this.waiting.delete(id);
          reject(
            new WharfError(
              'BOARD_TIMEOUT',
              `${what}: no answer to '${req.t}' (id ${id}) within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs),
      };
      this.waiting.set(id, w);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        write({ ...req, id });
      } catch (err) {
        this.clock.clearTimer(w.timer);
        this.waiting.delete(id);
        w.reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Hand an answer frame to its waiter. Returns false when no one waits for that id. */
  answer(id: number, frame: BoardFrame): boolean {
    const w = this.waiting.get(id);
    if (w === undefined) return false;
    this.waiting.delete(id);
    this.clock.clearTimer(w.timer);
    w.resolve(frame);
    return true;
  }

  /** Reject every pending request (link down, closed). */
  rejectAll(err: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) {
      this.clock.clearTimer(w.timer);
      w.reject(err);
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error(String(r));
}
