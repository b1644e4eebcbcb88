/**
 * The limits of the embedded broker's early-frame hold (frames a known board publishes before the
 * gateway attached its link): at most HOLD_MAX_FRAMES are kept (the oldest go first) and none longer
 * than HOLD_MAX_MS. What the hold lets go is never dropped silently: every frame is either handed
 * over on attach, in order, or counted by reason in `wharf_mqtt_unrouted_frames{reason}`.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { trackUnrouted } from '../../../src/boards/link-metrics.js';
import { HOLD_MAX_FRAMES, HOLD_MAX_MS } from '../../../src/boards/mqtt/aedes-bus.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { Metrics } from '../../../src/shared/metrics.js';
import { until } from '../helpers/wait.js';

describe('embedded broker bus: hold limits are accounted', () => {
  let broker: EmbeddedBroker;
  let board: MqttClient;

  beforeEach(async () => {
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards: [{ id: 'b1', secret: 'pw-b1' }],
      logger: nullLogger,
    });
    // A configured board whose session started but whose link the gateway has not attached yet.
    board = await mqtt.connectAsync(broker.url, {
      clientId: 'b1',
      username: 'b1',
      password: 'pw-b1',
      reconnectPeriod: 0,
    });
  });
  afterEach(async () => {
    await board.endAsync(true);
    await broker.close();
  });

  const frame = (i: number) => `{"t":"x","i":${i}}`;
  /** QoS 1: the PUBACK comes after the broker handed the frame to the bus. */
  const publish = async (from: number, to: number) => {
    for (let i = from; i < to; i++) await board.publishAsync('wharf/b1/up', frame(i), { qos: 1 });
  };
  const scrape = async () => {
    const m = new Metrics();
    trackUnrouted(m, () => broker.bus);
    return m.render();
  };

  it('keeps the newest HOLD_MAX_FRAMES and counts each frame pushed out as hold_overflow', async () => {
    const extra = 7;
    const total = HOLD_MAX_FRAMES + extra;
    await publish(0, total);
    expect(broker.bus.unrouted).toEqual({
      unknown_board: 0,
      not_attached: 0,
      hold_overflow: extra,
    });
    expect(await scrape()).toMatch(/^wharf_mqtt_unrouted_frames\{reason="hold_overflow"\} 7$/m);

    const got: string[] = [];
    broker.bus.attach('b1', { frame: (t) => got.push(t), offline: () => undefined });
    // the oldest went, the rest arrive in order; delivered + counted = published
    expect(got).toHaveLength(HOLD_MAX_FRAMES);
    expect(got[0]).toBe(frame(extra));
    expect(got.at(-1)).toBe(frame(total - 1));
    expect(got).toEqual(Array.from({ length: HOLD_MAX_FRAMES }, (_, i) => frame(extra + i)));
    expect(got.length + broker.bus.unrouted.hold_overflow).toBe(total);
  });

  it(
    'lets frames go after HOLD_MAX_MS, counted as not_attached, and keeps holding younger ones',
    { timeout: HOLD_MAX_MS * 3 },
    async () => {
      const t0 = Date.now();
      await publish(0, 3);
      // Younger frames: half the hold time later (the hold is defined in time, so is this wait).
      await until(() => Date.now() - t0 >= HOLD_MAX_MS / 2, HOLD_MAX_MS, 'half the hold time');
      await publish(3, 5);
      expect(broker.bus.unrouted.not_attached).toBe(0);

      // The expiry runs by itself, with nothing attached and no new frame arriving.
      await until(
        () => broker.bus.unrouted.not_attached > 0,
        HOLD_MAX_MS * 2,
        'the first frames to expire',
      );
      const expired = broker.bus.unrouted.not_attached;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(HOLD_MAX_MS);
      expect(await scrape()).toMatch(
        new RegExp(`^wharf_mqtt_unrouted_frames\\{reason="not_attached"\\} ${expired}$`, 'm'),
      );

      const got: string[] = [];
      broker.bus.attach('b1', { frame: (t) => got.push(t), offline: () => undefined });
      const counted = broker.bus.unrouted.not_attached;
      // Every frame is accounted exactly once: handed over (the youngest, in order) or counted.
      expect(counted).toBeGreaterThanOrEqual(3);
      expect(got).toEqual([0, 1, 2, 3, 4].slice(counted).map(frame));
      expect(got.length + counted).toBe(5);
      // On a host that is not starved the younger frames outlive the first expiry and are delivered.
      if (Date.now() - t0 < HOLD_MAX_MS * 1.4) expect(got).toEqual([frame(3), frame(4)]);
      expect(broker.bus.unrouted.hold_overflow + broker.bus.unrouted.unknown_board).toBe(0);
    },
  );
});
