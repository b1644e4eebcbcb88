/**
 * Stream intake of a protocol link: `b` and `gap` frames → 'batch'/'gap' events, across outages.
 *  - Batches of the running plan are taken whenever the clock mapping is there — also during a
 *    re-handshake, when a board drains the backlog it kept while the link was down. A sequence
 *    number the link already delivered (the board re-sends its last `lt` ms) is dropped here. A
 *    reboot shows in batches only per entry (t0 well below that entry's previous batch): a backlog
 *    is older than the board's current clock by design.
 *  - `gap` frames that arrive before the clock is mapped wait for it (bounded), so their board
 *    times are never mapped with a missing offset.
 *  - Rejoin: after a reconnect that was not a reboot, the board still runs its plan (it keeps it
 *    across `cfg`), so an unchanged plan is not sent again — its keys and sequence numbers carry on —
 *    once a batch of it shows the board is still sampling; if none comes within a few batch
 *    periods, the plan is sent after all (a board that stopped it).
 */
import type { BoardGap, SamplingEntry, StreamBatch } from '../board.js';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { ClockMap } from './clock-map.js';
import type { BatchFrame, GapFrame, PlanEntryFrame } from './messages.js';
import { ResendOrder } from './resend-order.js';
import { StreamDecoder } from './stream-decoder.js';
import { samePlan } from './plan-keys.js';
import type { LinkStats } from './values.js';

export interface IntakeHost {
  /** Ask the board to send the batches of `k` from sequence `s` on again (`rs`, extension). */
  resend?(k: string, s: number): void;
  batch(b: StreamBatch): void;
  gap(g: BoardGap): void;
  bad(reason: string): void;
  /** The board clock stepped back in a batch. */
  stepped(why: string): void;
}

const MAX_PENDING_GAPS = 256;
/** Frames held while a plan reported in `hi` waits to be taken over (a backlog of ~400 s at 10 Hz). */
const MAX_HELD_FRAMES = 4096;

export class StreamIntake {
  readonly decoder: StreamDecoder;
  private pendingGaps: GapFrame[] = [];
  private planKept = false;
  private seenAtReconnect = 0;
  private reconnectedAt = 0;
  private firstBatch: (() => void) | undefined;
  /** The plan a board reported in `hi` to a gateway that does not know it yet (after a restart). */
  private offered: { pl: PlanEntryFrame[]; bms: number | undefined; keys: Set<string> } | undefined;
  /** Batches and gap frames of the offered plan, in arrival order, until configure() decides. */
  private held: (BatchFrame | GapFrame)[] = [];
  /** Frames behind a skipped sequence number, while the board is asked to re-send it. */
  private readonly resend: ResendOrder;
  private awaitingHi = false;
  /** The board re-sends on request (`hi.caps.rs = 1`). */
  private resendable = false;

  constructor(
    private readonly boardId: string,
    private readonly clockMap: ClockMap,
    private readonly clock: Clock,
    private readonly stats: LinkStats,
    private readonly logger: Logger,
    ranges: () => Map<string, [number, number, number]>,
    private readonly host: IntakeHost,
  ) {
    this.decoder = new StreamDecoder(clockMap, ranges);
    this.resend = new ResendOrder(clock, {
      nextSeq: (k) => this.decoder.nextSeq(k),
      canAsk: () => this.resendable && host.resend !== undefined,
      ask: (k, s) => host.resend?.(k, s),
      deliver: (f) => (f.t === 'b' ? this.batch(f) : this.gap(f)),
    });
  }

  batch(f: BatchFrame): void {
    if (this.holds(f.k)) return this.hold(f);
    if (this.resend.holdBatch(f)) {
      this.stats.resendRequests = this.resend.asked;
      this.firstBatch?.();
      return;
    }
    const r = this.decoder.batch(f, this.clock.now());
    if (!r.ok) {
      if ('repeat' in r) this.stats.repeatedBatches++;
      else if ('stepped' in r) {
        this.stats.staleBatches++;
        this.host.stepped(`board clock stepped back to ${f.t0} ms in batch ${f.k}#${f.s}`);
      } else if (r.stale) this.stats.staleBatches++;
      else this.host.bad(r.reason);
      return;
    }
    this.stats.batches++;
    this.host.batch(r.batch);
    this.firstBatch?.();
    this.resend.delivered(f.k);
  }

  gap(f: GapFrame): void {
    if (f.k !== undefined && this.holds(f.k)) return this.hold(f);
    if (this.resend.holdGap(f)) return;
    if (!this.clockMap.synced) {
      if (this.pendingGaps.length >= MAX_PENDING_GAPS) this.pendingGaps.shift();
      this.pendingGaps.push(f);
      return;
    }
    const g = this.decoder.gap(f);
    if (g === 'repeat') this.stats.repeatedGaps++;
    else if (g !== undefined) this.host.gap(g);
  }

  /** The clock is mapped (handshake done): gap frames held back go out now. */
  synced(): void {
    const p = this.pendingGaps;
    this.pendingGaps = [];
    for (const f of p) this.gap(f);
  }

  /** A new link is up; `rejoin`: same board, not restarted, so it may still run the plan. */
  reconnected(rejoin: boolean, offer?: { pl: PlanEntryFrame[]; bms?: number }): void {
    this.awaitingHi = false;
    this.planKept = rejoin && this.decoder.size > 0;
    this.seenAtReconnect = this.arrived();
    this.reconnectedAt = this.clock.now();
    if (!rejoin) this.pendingGaps = [];
    if (offer !== undefined && offer.pl.length > 0) this.offer(offer.pl, offer.bms);
    else this.dropOffer();
  }

  /**
   * A handshake starts: until its `hi` is in, frames of keys this link does not know are held (the
   * board may drain a backlog keyed by a plan it reports in that `hi`, and the frames right behind
   * the `hi` can be handled before the handshake continues).
   */
  awaitHi(): void {
    this.awaitingHi = true;
  }

  /**
   * A plan offered in `hi` waits for configure() to decide. A link that dropped between the
   * handshake and configure() leaves it undecided: the next handshake offers it again.
   */
  get offering(): boolean {
    return this.offered !== undefined;
  }

  /** Whether the board answers `rs` (its `hi` reports `caps.rs = 1`). */
  setResendable(yes: boolean): void {
    this.resendable = yes;
  }

  /**
   * The board reported a running plan in `hi` that this gateway does not know (it restarted while
   * the board kept sampling). Its batches and gap frames — the backlog it drains now — are held until
   * configure() says whether the plan is taken over (then they are delivered in arrival order).
   */
  private offer(pl: PlanEntryFrame[], bms: number | undefined): void {
    const keys = new Set(pl.map((e) => e.k));
    this.offered = { pl, bms, keys };
    const keep = this.held.filter((f) => f.k !== undefined && keys.has(f.k));
    this.stats.staleBatches += this.held.filter((f) => f.t === 'b' && !keep.includes(f)).length;
    this.held = keep;
  }

  /**
   * configure(streamed): take over the offered plan when it is exactly these entries at this batch
   * interval — keys and sequence numbers carry on, the held backlog is delivered, no new plan is
   * sent. Otherwise the held frames are stale (counted) and the caller sends its own plan.
   */
  adoptOffered(streamed: SamplingEntry[], batchMs: number): boolean {
    const o = this.offered;
    if (o === undefined) return false;
    const adopted =
      (o.bms === undefined || o.bms === batchMs) && this.decoder.adopt(o.pl, streamed);
    const held = this.held;
    this.offered = undefined;
    this.held = [];
    if (adopted) {
      this.logger.info(
        { board: this.boardId, entries: o.pl.length, backlog: held.length },
        'board kept sampling while the gateway was away: its running plan is taken over and its backlog delivered',
      );
    } else {
      // Not the same plan: the entries of it this config keeps unchanged still get their backlog
      // (under the old keys); the caller sends a new plan.
      const carried = this.decoder.carryOffered(o.pl, streamed);
      this.logger.info(
        { board: this.boardId, entries: o.pl.length, carried: carried.size },
        'board kept sampling while the gateway was away, with another plan: a new plan is sent; the backlog of the entries it keeps unchanged is delivered',
      );
    }
    for (const f of held) {
      if (this.decoder.has(f.k!)) {
        if (f.t === 'b') this.batch(f);
        else this.gap(f);
      } else if (f.t === 'b') this.stats.staleBatches++;
    }
    return adopted;
  }

  /** Batches of the running plan that arrived (delivered, or held for a re-send). */
  private arrived(): number {
    return this.stats.batches + this.resend.heldBatches;
  }

  private holds(k: string): boolean {
    if (this.decoder.has(k)) return false;
    return this.awaitingHi || (this.offered !== undefined && this.offered.keys.has(k));
  }

  private hold(f: BatchFrame | GapFrame): void {
    if (this.held.length >= MAX_HELD_FRAMES) {
      const old = this.held.shift();
      // a batch dropped here shows as a skipped sequence number (sequence_gap), never silently
      if (old?.t === 'b') this.stats.staleBatches++;
    }
    this.held.push(f);
  }

  private dropOffer(): void {
    this.stats.staleBatches += this.held.filter((f) => f.t === 'b').length;
    this.held = [];
    this.offered = undefined;
  }

  /**
   * Whether configure(streamed) can keep the running plan instead of sending a new one: after a
   * rejoin, with the same entries, once a batch of it arrived since the reconnect (waiting until
   * max(300 ms, 3 × bms, 2 sample periods) after the `hi` for one; a board that stopped its plan
   * sends none).
   */
  async keepsPlan(streamed: SamplingEntry[], batchMs: number): Promise<boolean> {
    const candidate = this.planKept && samePlan(this.decoder.entries(), streamed);
    this.planKept = false;
    if (!candidate) return false;
    if (this.arrived() > this.seenAtReconnect) return true;
    const slowest = Math.min(...streamed.map((e) => e.hz));
    const waitMs = Math.max(300, 3 * batchMs, 2000 / slowest);
    const left = this.reconnectedAt + waitMs - this.clock.now();
    if (left > 0)
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimer(() => {
          this.firstBatch = undefined;
          resolve();
        }, left);
        this.firstBatch = () => {
          this.clock.clearTimer(timer);
          this.firstBatch = undefined;
          resolve();
        };
      });
    const kept = this.arrived() > this.seenAtReconnect;
    if (!kept)
      this.logger.warn(
        { board: this.boardId, waitedMs: waitMs },
        'board sent no batch after rejoining; sending its sampling plan again',
      );
    return kept;
  }
}
