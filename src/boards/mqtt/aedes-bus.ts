/**
 * The in-process BoardBus of the embedded broker: board frames are taken from aedes directly
 * (`aedes.subscribe('wharf/+/up')`), gateway frames are published by the broker itself (no client,
 * so no ACL applies to it). A board counts as online from the moment it subscribed to its down
 * topic until its client disconnects; the broker keeps the retained status topic in step.
 *
 * No frame of a board is dropped for timing: from the moment a board's session starts (aedes
 * `client`) until the gateway attached its link, its frames are held (bounded in count and age) and
 * handed over on attach; the transport is told at once when the board subscribed (`onOnline`), so
 * it connects without polling. What still reaches no link is counted by reason (`unrouted`).
 */
import type { Aedes, AedesPublishPacket, Client, Subscription } from 'aedes';
import { WharfError } from '../../shared/errors.js';
import { WIRE } from '../protocol/wire.js';
import type { BoardBus, BusHandlers, UnroutedReason } from './bus.js';
import { downTopic, parseTopic, statusTopic, upTopic } from './topics.js';

/** At most this many frames per board are held before its link is attached… */
export const HOLD_MAX_FRAMES = 512;
/** …for at most this long. */
export const HOLD_MAX_MS = 10_000;

interface Held {
  frames: { text: string; at: number }[];
  timer: NodeJS.Timeout | undefined;
}

export class AedesBus implements BoardBus {
  private readonly online = new Map<string, Client>();
  private readonly handlers = new Map<string, BusHandlers>();
  /** Boards with a session (connected, authenticated) and frames held until a link attaches. */
  private readonly held = new Map<string, Held>();
  private readonly onlineListeners = new Set<(boardId: string) => void>();
  readonly probe = false;
  readonly unrouted: Record<UnroutedReason, number> = {
    unknown_board: 0,
    not_attached: 0,
    hold_overflow: 0,
  };

  /** Each board's up topic (the in-process route compares a publish's topic with it). */
  private readonly ups = new Map<string, string>();

  /**
   * `upWatched`: whether any other subscriber (a monitor) may want the boards' up frames now. While
   * none does, a board's QoS 0 up frame is routed to its link straight from the broker's publish,
   * skipping aedes's packet copy, topic matching and fan-out; otherwise it takes the full path.
   */
  constructor(
    private readonly aedes: Aedes,
    readonly where: string,
    private readonly boardOf: (client: Client) => string | undefined,
    upWatched: () => boolean = () => true,
  ) {
    aedes.subscribe(
      upTopic('+'),
      (packet: AedesPublishPacket, cb: () => void) => {
        const t = parseTopic(packet.topic);
        if (t === undefined) this.unrouted.unknown_board++;
        else this.route(t.id, packet.payload);
        cb();
      },
      () => undefined,
    );
    // aedes's own handlers call publish(packet, client, done); its typings only show (packet, done).
    const publish = aedes.publish;
    aedes.publish = (packet: AedesPublishPacket, client: unknown, done?: unknown): void => {
      if (
        client !== null &&
        typeof client === 'object' &&
        packet.qos === 0 &&
        packet.retain !== true &&
        !upWatched()
      ) {
        const id = boardOf(client as Client);
        if (id !== undefined && packet.topic === this.upOf(id)) {
          this.route(id, packet.payload);
          if (typeof done === 'function') Reflect.apply(done, undefined, []);
          return;
        }
      }
      Reflect.apply(publish, aedes, [packet, client, done]);
    };
    aedes.on('client', (client: Client) => {
      const id = this.boardOf(client);
      if (id !== undefined && !this.held.has(id))
        this.held.set(id, { frames: [], timer: undefined });
    });
    aedes.on('subscribe', (subs: Subscription[], client: Client) => {
      const id = this.boardOf(client);
      if (id === undefined || !subs.some((s) => s.topic === downTopic(id))) return;
      this.online.set(id, client);
      this.retainStatus(id, WIRE.online);
      for (const fn of [...this.onlineListeners]) fn(id);
    });
    aedes.on('clientDisconnect', (client: Client) => {
      const id = this.boardOf(client);
      if (id === undefined || this.online.get(id) !== client) return;
      this.online.delete(id);
      this.retainStatus(id, WIRE.offline);
      this.handlers.get(id)?.offline(`board ${id} disconnected from the broker`);
    });
  }

  private upOf(id: string): string {
    let t = this.ups.get(id);
    if (t === undefined) {
      t = upTopic(id);
      if (this.ups.size < 100_000) this.ups.set(id, t);
    }
    return t;
  }

  /** A board's up frame, to its link (or held until one attaches). */
  private route(id: string, payload: Buffer | string): void {
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    const h = this.handlers.get(id);
    if (h !== undefined) h.frame(text);
    else if (this.held.has(id)) this.hold(id, text);
    else this.unrouted.unknown_board++;
  }

  isOnline(boardId: string): boolean {
    return this.online.has(boardId);
  }

  onOnline(fn: (boardId: string) => void): () => void {
    this.onlineListeners.add(fn);
    return () => void this.onlineListeners.delete(fn);
  }

  attach(boardId: string, h: BusHandlers): () => void {
    this.handlers.set(boardId, h);
    const held = this.held.get(boardId);
    if (held !== undefined) {
      this.held.delete(boardId);
      if (held.timer !== undefined) clearTimeout(held.timer);
      const fresh = Date.now() - HOLD_MAX_MS;
      for (const f of held.frames) {
        if (f.at >= fresh) h.frame(f.text);
        else this.unrouted.not_attached++;
      }
    }
    return () => {
      if (this.handlers.get(boardId) !== h) return;
      this.handlers.delete(boardId);
      // frames of a board still connected wait for the next attach (a reconnecting link)
      if (this.online.has(boardId)) this.held.set(boardId, { frames: [], timer: undefined });
    };
  }

  publish(boardId: string, text: string): void {
    if (!this.online.has(boardId))
      throw new WharfError(
        'BOARD_DISCONNECTED',
        `board ${boardId} is not connected to the ${this.where}`,
      );
    this.aedes.publish(
      {
        cmd: 'publish',
        topic: downTopic(boardId),
        payload: Buffer.from(text),
        qos: 0,
        retain: false,
        dup: false,
      } as AedesPublishPacket,
      () => undefined,
    );
  }

  /** Kick a board's client (its secret changed or it was removed from the config). */
  kick(boardId: string): void {
    const c = this.online.get(boardId);
    if (c !== undefined) c.close();
  }

  /** Stop holding (broker closing): what is still held was never routed. */
  close(): void {
    for (const [, h] of this.held) {
      if (h.timer !== undefined) clearTimeout(h.timer);
      this.unrouted.not_attached += h.frames.length;
    }
    this.held.clear();
    this.onlineListeners.clear();
  }

  private hold(id: string, text: string): void {
    const h = this.held.get(id)!;
    if (h.frames.length >= HOLD_MAX_FRAMES) {
      h.frames.shift();
      this.unrouted.hold_overflow++;
    }
    h.frames.push({ text, at: Date.now() });
    if (h.timer === undefined) {
      h.timer = setTimeout(() => this.expire(id), HOLD_MAX_MS + 50);
      h.timer.unref();
    }
  }

  /** Drop held frames older than the hold time (counted), re-arm for the rest. */
  private expire(id: string): void {
    const h = this.held.get(id);
    if (h === undefined) return;
    h.timer = undefined;
    const fresh = Date.now() - HOLD_MAX_MS;
    while (h.frames.length > 0 && h.frames[0]!.at < fresh) {
      h.frames.shift();
      this.unrouted.not_attached++;
    }
    if (h.frames.length > 0) {
      h.timer = setTimeout(() => this.expire(id), h.frames[0]!.at - fresh + 50);
      h.timer.unref();
    }
  }

  private retainStatus(id: string, s: string): void {
    this.aedes.publish(
      {
        cmd: 'publish',
        topic: statusTopic(id),
        payload: Buffer.from(s),
        qos: 1,
        retain: true,
        dup: false,
      } as AedesPublishPacket,
      () => undefined,
    );
  }
}
