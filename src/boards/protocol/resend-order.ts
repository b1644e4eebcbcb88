/**
 * Re-send of a skipped sequence number (`rs`, firmware extension): a serial cable pulled for less
 * than the link timeout swallows frames the board believes delivered. When a batch arrives after a
 * skipped number, it and every later frame of that entry are held in arrival order, the board is
 * asked once to re-send from the missing number, and the held frames are delivered as soon as the
 * hole is filled — or after RESEND_WAIT_MS as they are (the hole then stays a sequence gap), in
 * board-time order (re-sent frames arrive after the batch that showed the hole).
 * Numbers the board reported evicted (`backlog_overflow` `s0..s1`) are not waited for.
 */
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { BatchFrame, GapFrame } from './messages.js';

/** How long frames behind a skipped sequence number wait for the board to re-send it. */
export const RESEND_WAIT_MS = 1000;
/** Frames held per entry while waiting. */
const MAX_HELD = 256;

type Frame = BatchFrame | GapFrame;

export interface ResendHost {
  /** The next sequence number expected for key `k` (undefined: none delivered yet). */
  nextSeq(k: string): number | undefined;
  /** Whether the board understands `rs` (it reports `caps.rs = 1`); else no frame is held. */
  canAsk(): boolean;
  /** Ask the board to re-send `k` from `s` on. */
  ask(k: string, s: number): void;
  /** Deliver a held frame (through the normal path; `ResendOrder.releasing` is true meanwhile). */
  deliver(f: Frame): void;
}

export class ResendOrder {
  private readonly waiting = new Map<string, { frames: Frame[]; timer: TimerHandle }>();
  private readonly evictedUpTo = new Map<string, number>();
  /** True while held frames are being delivered (they must not be held again). */
  releasing = false;
  /** Batches held so far (they show the board still runs its plan). */
  heldBatches = 0;
  /** Re-send requests sent. */
  asked = 0;

  constructor(
    private readonly clock: Clock,
    private readonly host: ResendHost,
  ) {}

  /** True when batch `f` is held (behind a hole of its entry). */
  holdBatch(f: BatchFrame): boolean {
    if (this.releasing) return false;
    const next = this.host.nextSeq(f.k);
    const q = this.waiting.get(f.k);
    if (q !== undefined) {
      if (next !== undefined && f.s <= next) return false; // the re-sent batch (or a repeat)
      if (q.frames.length >= MAX_HELD) {
        this.release(f.k);
        return false;
      }
      q.frames.push(f);
      this.heldBatches++;
      return true;
    }
    if (next === undefined || f.s <= next || !this.host.canAsk()) return false;
    if ((this.evictedUpTo.get(f.k) ?? -1) >= f.s - 1) return false; // the board reported them lost
    const timer = this.clock.setTimer(() => this.release(f.k), RESEND_WAIT_MS);
    this.waiting.set(f.k, { frames: [f], timer });
    this.heldBatches++;
    this.asked++;
    this.host.ask(f.k, next);
    return true;
  }

  /** True when gap frame `f` is held (its entry waits for a re-send); notes reported evictions. */
  holdGap(f: GapFrame): boolean {
    if (f.k === undefined) return false;
    if (f.s1 !== undefined && f.why === 'backlog_overflow')
      this.evictedUpTo.set(f.k, Math.max(this.evictedUpTo.get(f.k) ?? -1, f.s1));
    if (this.releasing) return false;
    const q = this.waiting.get(f.k);
    if (q === undefined) return false;
    q.frames.push(f);
    return true;
  }

  /** A batch of `k` was delivered: when that closed the hole, the held frames follow in order. */
  delivered(k: string): void {
    const q = this.waiting.get(k);
    if (q === undefined || this.releasing) return;
    const first = q.frames.find((x): x is BatchFrame => x.t === 'b');
    const next = this.host.nextSeq(k);
    if (first === undefined || (next !== undefined && next >= first.s)) this.release(k);
  }

  private release(k: string): void {
    const q = this.waiting.get(k);
    if (q === undefined) return;
    this.waiting.delete(k);
    this.clock.clearTimer(q.timer);
    this.releasing = true;
    try {
      // In board-time order, not arrival order: the re-sent frames arrive after the batch that
      // showed the hole, and a batch delivered before them would make them look like repeats.
      const frames = [...q.frames].sort((a, b) => a.t0 - b.t0);
      for (const f of frames) this.host.deliver(f);
    } finally {
      this.releasing = false;
    }
  }
}
