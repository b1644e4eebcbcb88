/**
 * The in-process BoardBus of the embedded broker: board frames are taken from aedes directly
 * (`aedes.subscribe('wharf/+/up')`), gateway frames are published by the broker itself (no client,
 * so no ACL applies to it). A board counts as online from the moment it subscribed to its down
 * topic until its client disconnects; the broker keeps the retained status topic in step.
 */
import type { Aedes, AedesPublishPacket, Client, Subscription } from 'aedes';
import { WharfError } from '../../shared/errors.js';
import type { BoardBus, BusHandlers } from './bus.js';
import { downTopic, parseTopic, statusTopic, upTopic } from './topics.js';

export class AedesBus implements BoardBus {
  private readonly online = new Map<string, Client>();
  private readonly handlers = new Map<string, BusHandlers>();
  readonly probe = false;
  /** Frames from boards nobody attached (board not in the plan). */
  unrouted = 0;

  constructor(
    private readonly aedes: Aedes,
    readonly where: string,
    private readonly boardOf: (client: Client) => string | undefined,
  ) {
    aedes.subscribe(
      upTopic('+'),
      (packet: AedesPublishPacket, cb: () => void) => {
        const t = parseTopic(packet.topic);
        const h = t === undefined ? undefined : this.handlers.get(t.id);
        if (h === undefined) this.unrouted++;
        else
          h.frame(
            typeof packet.payload === 'string' ? packet.payload : packet.payload.toString('utf8'),
          );
        cb();
      },
      () => undefined,
    );
    aedes.on('subscribe', (subs: Subscription[], client: Client) => {
      const id = this.boardOf(client);
      if (id === undefined || !subs.some((s) => s.topic === downTopic(id))) return;
      this.online.set(id, client);
      this.retainStatus(id, 'online');
    });
    aedes.on('clientDisconnect', (client: Client) => {
      const id = this.boardOf(client);
      if (id === undefined || this.online.get(id) !== client) return;
      this.online.delete(id);
      this.retainStatus(id, 'offline');
      this.handlers.get(id)?.offline(`board ${id} disconnected from the broker`);
    });
  }

  isOnline(boardId: string): boolean {
    return this.online.has(boardId);
  }

  attach(boardId: string, h: BusHandlers): () => void {
    this.handlers.set(boardId, h);
    return () => {
      if (this.handlers.get(boardId) === h) this.handlers.delete(boardId);
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

  private retainStatus(id: string, s: 'online' | 'offline'): void {
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
