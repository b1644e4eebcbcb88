/**
 * A gateway restart on an EXTERNAL broker (issue 17, hostile re-check): a real Mosquitto (password
 * file + ACL as documented), the built MQTT bundle in the emulator connected to it, and the gateway's
 * ExternalBus + ProtocolBoard. The gateway goes away (its client disconnects; the board's session to
 * the broker stays up, so the board only notices by the link timeout) and a fresh one — a new bus
 * client and a board that knows nothing — comes back 4 s later. Nothing tells the new gateway that
 * the board is there (the board's `online` was published before it subscribed, not retained), so it
 * must find the board by itself, take its plan over and receive every batch the board kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SamplingEntry, StreamBatch } from '../../../src/boards/board.js';
import { ExternalBus } from '../../../src/boards/mqtt/external-bus.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { EmulatedBoard } from '../../../src/emulator/board.js';
import { constant } from '../../../src/emulator/signals.js';
import { bundleFor } from '../../../hil/emulator/bundle.js';
import { requireTool } from '../../helpers/system-tool.js';
import { GATEWAY_USER, Mosquitto } from '../helpers/mosquitto.js';
import { sleep, until } from '../helpers/wait.js';

const ID = 'ext-rs';
const SECRET = 'ext-rs-secret';
const A: SamplingEntry = { key: 'a', method: 'Analogs', readers: ['A1'], hz: 20, mode: 'streamed' };

interface Gateway {
  bus: ExternalBus;
  board: ProtocolBoard;
  batches: StreamBatch[];
}

describe.skipIf(!requireTool('mosquitto', 'the external-broker restart runs a real Mosquitto'))(
  'gateway restart on an external broker',
  () => {
    let mosq: Mosquitto;
    const cleanups: Array<() => Promise<void>> = [];
    beforeAll(async () => {
      mosq = new Mosquitto([{ id: ID, secret: SECRET }]);
      await mosq.start();
    });
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      await mosq?.cleanup();
    });

    async function gateway(): Promise<Gateway> {
      const bus = await ExternalBus.connect({
        url: `mqtt://127.0.0.1:${mosq.port}`,
        ...GATEWAY_USER,
        logger: nullLogger,
        reconnectPeriodMs: 200,
      });
      const board = new ProtocolBoard(
        ID,
        { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
        new MqttConnector(ID, () => bus),
        realClock,
        nullLogger,
        { reconnectPollMs: 100 },
      );
      const batches: StreamBatch[] = [];
      board.on('batch', (b) => batches.push(b));
      const g = { bus, board, batches };
      cleanups.push(async () => {
        await board.close();
        await bus.close();
      });
      return g;
    }

    it('every batch the board sent while the gateway was away is delivered to the new one', async () => {
      const code = await bundleFor({
        transport: 'mqtt',
        boardId: ID,
        mqttHost: '127.0.0.1',
        mqttPort: mosq.port,
        secret: SECRET,
      });
      const sent: { k: string; s: number }[] = [];
      const emulator = new EmulatedBoard({
        code,
        analog: { D34: constant(1.65) },
        onUplink: (text) => {
          try {
            const f = JSON.parse(text) as { t?: string; k: string; s: number };
            if (f.t === 'b' && !sent.some((x) => x.k === f.k && x.s === f.s))
              sent.push({ k: f.k, s: f.s });
          } catch {
            /* not a frame */
          }
        },
      });
      emulator.start();
      cleanups.push(() => emulator.stop());

      const gw1 = await gateway();
      await until(() => emulator.mqttConnected(), 10_000, 'the board on the broker');
      await gw1.board.connect();
      await gw1.board.configure([A]);
      await until(() => gw1.batches.length >= 10, 20_000, '10 batches');
      await gw1.board.close();
      // until its link timeout the board still sends live: frames no link takes are counted
      await until(() => gw1.bus.unrouted.not_attached > 0, 5000, 'a frame counted not_attached');
      await gw1.bus.close(); // the gateway is gone; the broker and the board's session stay
      const goneAt = Date.now();
      await sleep(4000); // deliberate: the outage

      const gw2 = await gateway();
      const back = Date.now();
      await gw2.board.connect();
      await gw2.board.configure([A]);
      const key = sent[0]!.k;
      // all the board sent under its plan up to a second after the new gateway came
      await until(
        () => gw2.batches.some((b) => b.samples[0]!.timeRequested > back + 1000),
        20_000,
        'live batches at the new gateway',
      );
      const upTo = Math.max(...sent.filter((x) => x.k === key).map((x) => x.s));
      const got = new Set([...gw1.batches, ...gw2.batches].map((b) => b.seq));
      const missing: number[] = [];
      for (let s = 0; s <= upTo; s++) if (!got.has(s)) missing.push(s);
      expect(missing, `outage from ${goneAt}, new gateway at ${back}`).toEqual([]);
      // the plan was taken over: the new gateway continued the board's numbering (no new plan)
      expect(sent.every((x) => x.k === key)).toBe(true);
    }, 60_000);
  },
);
