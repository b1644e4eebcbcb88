/**
 * A small gateway-side protocol v1 driver for the HIL suite: requests with ids and timeouts
 * (waiter registered before the write), every received frame kept for assertions, an optional
 * heartbeat ping (so a serial board with `lt` set knows the link is alive).
 */
import type { Frame, FrameLink } from './links.js';

export class ProtocolDriver {
  readonly frames: Frame[] = [];
  /** performance.now() when each frame arrived (same index as frames). */
  readonly arrivals: number[] = [];
  private nextId = 1;
  private readonly waiters = new Map<number, (f: Frame) => void>();
  private readonly watchers = new Set<() => void>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(readonly link: FrameLink) {
    link.onFrame((f) => {
      this.frames.push(f);
      this.arrivals.push(performance.now());
      if (typeof f.id === 'number' && this.waiters.has(f.id)) {
        const w = this.waiters.get(f.id);
        this.waiters.delete(f.id);
        w?.(f);
      }
      for (const w of [...this.watchers]) w();
    });
  }

  send(frame: Record<string, unknown>): number {
    const id = this.nextId++;
    this.link.send({ ...frame, id });
    return id;
  }

  request(frame: Record<string, unknown>, timeoutMs = 3000): Promise<Frame> {
    const id = this.nextId++;
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`no answer to ${JSON.stringify(frame)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, (f) => {
        clearTimeout(timer);
        resolve(f);
      });
      this.link.send({ ...frame, id });
    });
  }

  /** Resolves with the first frame (from index `from`) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs: number, from = 0): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = from; i < this.frames.length; i++) {
          const f = this.frames[i] as Frame;
          if (pred(f)) {
            done();
            resolve(f);
            return true;
          }
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no matching frame within ${timeoutMs} ms (${this.frames.length} frames seen)`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      if (!check()) this.watchers.add(check);
    });
  }

  startHeartbeat(everyMs: number): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => this.send({ t: 'ping', g: Date.now() }), everyMs);
  }

  stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  batches(
    key: string,
    from = 0,
  ): (Frame & { k: string; s: number; t0: number; dt: number; v: number[][] })[] {
    return this.frames.slice(from).filter((f) => f.t === 'b' && f.k === key) as never;
  }

  async close(): Promise<void> {
    this.stopHeartbeat();
    await this.link.close();
  }
}
