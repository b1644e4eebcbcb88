/**
 * BoardBus on an external broker (Mosquitto, EMQX) through one mqtt.js client. The external broker
 * enforces authentication and ACLs itself (see docs/boards.md for a Mosquitto example). A board is
 * online when its retained status says `online` or it published a frame since; `offline` (its last
 * will) or losing the broker takes it offline. mqtt.js reconnects by itself and re-subscribes.
 * QoS 0 frames are never queued while disconnected (publish throws BOARD_DISCONNECTED instead).
 * A board's `online` (sent at every connect, after it subscribed) tells the transport at once
 * (`onOnline`), so a reconnecting board is greeted without waiting for a poll.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { BoardBus, BusHandlers, UnroutedReason } from './bus.js';
import { downTopic, parseTopic, statusTopic, upTopic } from './topics.js';

export interface ExternalBusOptions {
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  logger: Logger;
  reconnectPeriodMs?: number;
}

export class ExternalBus implements BoardBus {
  readonly where: string;
  readonly probe = true;
  private readonly client: MqttClient;
  private readonly online = new Set<string>();
  private readonly handlers = new Map<string, BusHandlers>();
  private readonly onlineListeners = new Set<(boardId: string) => void>();
  /** Boards a link was ever attached for (their frames without a link are `not_attached`). */
  private readonly known = new Set<string>();
  /**
   * Up frames that reached no link, by reason. Nothing is held here: a board whose link the gateway
   * dropped sends on until its link timeout, then re-sends what it wrote in the last lt/3 + 1.5 s.
   */
  readonly unrouted: Record<UnroutedReason, number> = {
    unknown_board: 0,
    not_attached: 0,
    hold_overflow: 0,
  };

  private constructor(client: MqttClient, url: string) {
    this.client = client;
    const u = new URL(url);
    this.where = `broker ${u.protocol}//${u.host}`;
  }

  static async connect(o: ExternalBusOptions): Promise<ExternalBus> {
    const client = mqtt.connect(o.url, {
      clientId: o.clientId ?? `wharf-gw-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      ...(o.username === undefined ? {} : { username: o.username }),
      ...(o.password === undefined ? {} : { password: o.password }),
      clean: true,
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      connectTimeout: 5000,
      queueQoSZero: false,
      resubscribe: true,
    });
    const bus = new ExternalBus(client, o.url);
    client.on('message', (topic, payload) => bus.onMessage(topic, payload));
    client.on('connect', () => {
      client.subscribe([upTopic('+'), statusTopic('+')], { qos: 0 }, (err) => {
        if (err)
          o.logger.error(
            { err: errorMessage(err), broker: bus.where },
            'cannot subscribe to board topics (does the broker ACL allow the gateway wharf/+/up and wharf/+/status?)',
          );
      });
    });
    client.on('close', () => bus.allOffline(`gateway lost the ${bus.where}`));
    client.on('error', (err) =>
      o.logger.warn({ err: errorMessage(err), broker: bus.where }, 'MQTT broker connection error'),
    );
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        client.end(true);
        reject(
          new WharfError(
            'BOARD_DISCONNECTED',
            `cannot reach the MQTT ${bus.where} within 5 s; check wharf.broker.url and that the broker runs`,
          ),
        );
      }, 5000);
      client.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      client.once('error', (err) => {
        if ((err as { code?: number }).code === 4 || (err as { code?: number }).code === 5) {
          clearTimeout(t);
          client.end(true);
          reject(
            new WharfError(
              'BOARD_AUTH',
              `the MQTT ${bus.where} refused the gateway's credentials; check wharf.broker.username/password`,
            ),
          );
        }
      });
    });
    o.logger.info({ broker: bus.where }, 'connected to external MQTT broker');
    return bus;
  }

  isOnline(boardId: string): boolean {
    return this.client.connected && this.online.has(boardId);
  }

  attach(boardId: string, h: BusHandlers): () => void {
    this.handlers.set(boardId, h);
    this.known.add(boardId);
    return () => {
      if (this.handlers.get(boardId) === h) this.handlers.delete(boardId);
    };
  }

  /** Called when a board says `online` (it does at every connect, after subscribing). */
  onOnline(fn: (boardId: string) => void): () => void {
    this.onlineListeners.add(fn);
    return () => void this.onlineListeners.delete(fn);
  }

  publish(boardId: string, text: string): void {
    if (!this.client.connected)
      throw new WharfError('BOARD_DISCONNECTED', `gateway is not connected to the ${this.where}`);
    this.client.publish(downTopic(boardId), text, { qos: 0 });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  private onMessage(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (t === undefined) return;
    if (t.leaf === 'status') {
      const s = payload.toString('utf8');
      if (s === 'online') this.markOnline(t.id, true);
      else if (s === 'offline' && this.online.delete(t.id))
        this.handlers.get(t.id)?.offline(`board ${t.id} went offline (status topic)`);
      return;
    }
    if (t.leaf !== 'up') return;
    this.markOnline(t.id, false);
    const h = this.handlers.get(t.id);
    if (h !== undefined) h.frame(payload.toString('utf8'));
    else this.unrouted[this.known.has(t.id) ? 'not_attached' : 'unknown_board']++;
  }

  /** `announced`: the board's own `online` (a new session), else a frame from a board not marked. */
  private markOnline(id: string, announced: boolean): void {
    const fresh = !this.online.has(id);
    this.online.add(id);
    if (announced || fresh) for (const fn of this.onlineListeners) fn(id);
  }

  private allOffline(reason: string): void {
    const ids = [...this.online];
    this.online.clear();
    for (const id of ids) this.handlers.get(id)?.offline(reason);
  }
}
