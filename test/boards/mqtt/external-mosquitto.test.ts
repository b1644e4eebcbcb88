/**
 * External-broker mode against a real Mosquitto (password file + ACL as documented): the Board
 * contract holds through it, and after the broker is SIGKILLed and restarted, the gateway and the
 * board reconnect and resume on their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boardContractSuite } from '../board-contract.js';
import { ExternalBus } from '../../../src/boards/mqtt/external-bus.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { BoardStatus } from '../../../src/boards/board.js';
import type { AnalogValue } from '../../../src/shared/record.js';
import { requireTool } from '../../helpers/system-tool.js';
import { attachMqttPeer, type MqttPeer } from '../helpers/mqtt-peer.js';
import { GATEWAY_USER, Mosquitto } from '../helpers/mosquitto.js';
import { TestPeer } from '../helpers/test-peer.js';
import { ESP32_HARDWARE as hardware } from '../helpers/hardware.js';
import { mqttHarness } from '../helpers/mqtt-harness.js';
import { sleep, until } from '../helpers/wait.js';

const boards = [
  { id: 'ext-1', secret: 'ext-secret-1' },
  { id: 'ext-2', secret: 'ext-secret-2' },
];

describe.skipIf(!requireTool('mosquitto', 'external-broker interop runs a real Mosquitto'))(
  'external broker: Mosquitto',
  () => {
    let mosq: Mosquitto;
    let bus: ExternalBus;

    beforeAll(async () => {
      mosq = new Mosquitto(boards);
      await mosq.start();
      bus = await ExternalBus.connect({
        url: `mqtt://127.0.0.1:${mosq.port}`,
        ...GATEWAY_USER,
        logger: nullLogger,
        reconnectPeriodMs: 200,
      });
    });
    afterAll(async () => {
      await bus?.close();
      await mosq?.cleanup();
    });

    boardContractSuite('mqtt via external Mosquitto', () =>
      mqttHarness({
        url: `mqtt://127.0.0.1:${mosq.port}`,
        id: 'ext-1',
        secret: 'ext-secret-1',
        bus: () => bus,
      }),
    );

    it('the broker is SIGKILLed and restarted: gateway and board reconnect, reads work again', async () => {
      const url = `mqtt://127.0.0.1:${mosq.port}`;
      const peer = new TestPeer({ bid: 'ext-2' });
      let side: MqttPeer = await attachMqttPeer(url, 'ext-2', 'ext-secret-2', peer);
      const board = new ProtocolBoard(
        'ext-2',
        hardware,
        new MqttConnector('ext-2', () => bus),
        realClock,
        nullLogger,
        { reconnectPollMs: 100 },
      );
      const statuses: BoardStatus[] = [];
      board.on('status', (s) => statuses.push(s));
      try {
        await board.connect();
        await mosq.kill();
        const end = Date.now() + 5000;
        while (!statuses.some((s) => s.state === 'offline') && Date.now() < end) await sleep(20);
        expect(statuses.map((s) => s.state)).toContain('offline');
        await mosq.start();
        // The board reconnects the way firmware does (a watchdog re-dials); the gateway's client by itself.
        const until = Date.now() + 8000;
        for (;;) {
          try {
            side = await attachMqttPeer(url, 'ext-2', 'ext-secret-2', peer);
            break;
          } catch (err) {
            if (Date.now() > until) throw err;
            await sleep(200);
          }
        }
        while (board.state !== 'online' && Date.now() < until) await sleep(20);
        expect(board.state).toBe('online');
        peer.analog.set('A1', 1111);
        const d = (await board.read('Analogs', ['A1'], { timeoutMs: 2000 })) as Record<
          string,
          AnalogValue
        >;
        expect(d.A1!.value).toBe(1111);
      } finally {
        await board.close();
        await side.close().catch(() => undefined);
      }
    });

    it("a board's `online` on connect tells the transport at once (no waiting for a poll)", async () => {
      const url = `mqtt://127.0.0.1:${mosq.port}`;
      const mqtt = (await import('mqtt')).default;
      const seen: string[] = [];
      const off = bus.onOnline((id) => seen.push(id));
      try {
        const board = await mqtt.connectAsync(url, {
          clientId: 'ext-2',
          username: 'ext-2',
          password: 'ext-secret-2',
          reconnectPeriod: 0,
        });
        // what the firmware does at every connect: subscribe to its down topic, then say online
        await board.subscribeAsync('wharf/ext-2/down');
        await board.publishAsync('wharf/ext-2/status', 'online');
        await until(() => seen.includes('ext-2'), 10_000, 'the bus to announce ext-2');
        expect(bus.isOnline('ext-2')).toBe(true);
        // and the gateway's greeting reaches it at once: the board subscribed before saying online
        const got: string[] = [];
        board.on('message', (_t, p) => got.push(p.toString()));
        bus.publish('ext-2', '{"t":"hello-probe"}');
        await until(() => got.length > 0, 10_000, 'the board to hear the gateway');
        expect(got).toEqual(['{"t":"hello-probe"}']);
        await board.endAsync();
      } finally {
        off();
      }
      // unsubscribed listeners hear nothing more
      const before = seen.length;
      const again = await mqtt.connectAsync(url, {
        clientId: 'ext-2',
        username: 'ext-2',
        password: 'ext-secret-2',
        reconnectPeriod: 0,
      });
      await again.publishAsync('wharf/ext-2/status', 'online');
      await again.endAsync();
      expect(seen.length).toBe(before);
    });

    it("Mosquitto's ACL (as documented) keeps board ext-2 out of ext-1's topics", async () => {
      const url = `mqtt://127.0.0.1:${mosq.port}`;
      const mqtt = (await import('mqtt')).default;
      const spy = await mqtt.connectAsync(url, {
        clientId: 'ext-2',
        username: 'ext-2',
        password: 'ext-secret-2',
        reconnectPeriod: 0,
      });
      const got: string[] = [];
      spy.on('message', (t) => got.push(t));
      await spy.subscribeAsync('wharf/ext-1/#');
      // Positive control: the gateway account does receive ext-1's frames.
      const gw = await mqtt.connectAsync(url, {
        clientId: 'gw-control',
        ...GATEWAY_USER,
        reconnectPeriod: 0,
      });
      const gwGot: string[] = [];
      gw.on('message', (t) => gwGot.push(t));
      await gw.subscribeAsync('wharf/+/up');
      const peer = new TestPeer({ bid: 'ext-1' });
      const side = await attachMqttPeer(url, 'ext-1', 'ext-secret-1', peer);
      await side.client.publishAsync('wharf/ext-1/up', '{"t":"x"}');
      await until(() => gwGot.length > 0, 10_000, 'the gateway to get the up message');
      expect(gwGot).toEqual(['wharf/ext-1/up']);
      expect(got).toEqual([]);
      await gw.endAsync();
      await side.close();
      await spy.endAsync();
    });
  },
);
