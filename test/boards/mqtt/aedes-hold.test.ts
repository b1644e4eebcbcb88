/**
 * The embedded broker's bus between a board's MQTT session start and the gateway attaching it:
 * frames are held (not dropped) and handed over in order, the transport hears of the session at
 * once (no poll), and what reaches no link is counted by reason.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { until as waitFor } from '../helpers/wait.js';

describe('embedded broker bus: attach on session start, hold before attach', () => {
  let broker: EmbeddedBroker;
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards: [{ id: 'b1', secret: 'pw-b1' }],
      logger: nullLogger,
    });
  });
  afterEach(async () => {
    for (const c of clients) await c.endAsync(true);
    clients.length = 0;
    await broker.close();
  });

  const board = async (id: string, secret: string) => {
    const c = await mqtt.connectAsync(broker.url, {
      clientId: id,
      username: id,
      password: secret,
      reconnectPeriod: 0,
    });
    clients.push(c);
    return c;
  };

  it('announces the board the moment it subscribes, and hands over what it published before attach, in order', async () => {
    const online: string[] = [];
    broker.bus.onOnline((id) => online.push(id));
    const c = await board('b1', 'pw-b1');
    await c.subscribeAsync('wharf/b1/down');
    await waitFor(() => online.length > 0, 10_000, 'onOnline');
    expect(online).toEqual(['b1']);
    // QoS 1: the PUBACK comes after the broker handed the frame to its subscribers (the bus)
    for (let i = 0; i < 5; i++)
      await c.publishAsync('wharf/b1/up', `{"t":"x","i":${i}}`, { qos: 1 });
    // nothing attached yet: the frames are held, not counted as dropped
    expect(broker.bus.unrouted).toEqual({ unknown_board: 0, not_attached: 0, hold_overflow: 0 });
    const got: string[] = [];
    const detach = broker.bus.attach('b1', { frame: (t) => got.push(t), offline: () => undefined });
    expect(got).toEqual([0, 1, 2, 3, 4].map((i) => `{"t":"x","i":${i}}`));
    await c.publishAsync('wharf/b1/up', '{"t":"x","i":5}');
    await waitFor(() => got.length === 6, 10_000, 'live frame after attach');
    // a link that lets go while the board stays connected: frames wait for the next attach
    detach();
    await c.publishAsync('wharf/b1/up', '{"t":"x","i":6}', { qos: 1 });
    const again: string[] = [];
    broker.bus.attach('b1', { frame: (t) => again.push(t), offline: () => undefined });
    expect(again).toEqual(['{"t":"x","i":6}']);
    expect(broker.bus.unrouted.not_attached + broker.bus.unrouted.hold_overflow).toBe(0);
  });

  it('counts frames of a board nobody configured as unrouted (unknown_board)', async () => {
    // a monitor-less broker accepts only configured boards, so publish as the broker itself
    broker.aedes.publish(
      {
        cmd: 'publish',
        topic: 'wharf/nobody/up',
        payload: Buffer.from('{"t":"x"}'),
        qos: 0,
        retain: false,
        dup: false,
      } as never,
      () => undefined,
    );
    await waitFor(() => broker.bus.unrouted.unknown_board === 1, 10_000, 'unknown_board count');
  });
});
