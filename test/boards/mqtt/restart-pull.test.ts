/**
 * A gateway restart, then a link pull between the new gateway's handshake and its plan (issue 17,
 * hostile re-check): the built MQTT bundle in the emulator on the embedded broker streams to a
 * ProtocolBoard that goes away (the board notices by its link timeout and keeps a backlog); a fresh
 * ProtocolBoard — a restarted gateway — identifies the board (it reports the plan it runs), and right
 * then, before the plan is decided, the board's link is pulled and restored. When the new gateway
 * configures the same plan after the reconnect, it takes the board's plan over and gets every batch
 * the board kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamBatch } from '../../../src/boards/board.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { sleep, until } from '../helpers/wait.js';
import { startEmulatedMqttBoard } from '../helpers/emulated-mqtt.js';

const ID = 'rs-pull';
const SECRET = 'rs-pull-secret';
const A = {
  key: 'a',
  method: 'Analogs' as const,
  readers: ['A1'],
  hz: 20,
  mode: 'streamed' as const,
};

describe('gateway restart, then a pull before the plan', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('the plan is still taken over and every batch the board kept is delivered', async () => {
    const sent = new Map<string, { s: number; at: number }>();
    const { broker, emulator } = await startEmulatedMqttBoard({
      id: ID,
      secret: SECRET,
      cleanups,
      onFrame: (f) => {
        if (f.t === 'b' && !sent.has(`${f.k}#${f.s}`))
          sent.set(`${f.k}#${f.s}`, { s: f.s, at: Date.now() });
      },
    });
    const gateway = () => {
      const board = new ProtocolBoard(
        ID,
        { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
        new MqttConnector(ID, () => broker.bus, 5000),
        realClock,
        nullLogger,
        { reconnectPollMs: 100 },
      );
      const batches: StreamBatch[] = [];
      board.on('batch', (b) => batches.push(b));
      cleanups.push(() => board.close());
      return { board, batches };
    };
    const gw1 = gateway();
    await gw1.board.connect();
    await gw1.board.configure([A]);
    await until(() => gw1.batches.length >= 10, 20_000, '10 batches');
    await gw1.board.close(); // the gateway is gone (the broker stays: the board notices by lt)
    await sleep(4000); // deliberate: the outage

    const gw2 = gateway();
    await gw2.board.connect();
    // the link drops between the handshake and the plan
    emulator.pullLink();
    await until(() => gw2.board.state === 'offline', 10_000, 'the new gateway seeing the pull');
    emulator.restoreLink();
    await until(() => gw2.board.state === 'online', 20_000, 'the board back');
    await gw2.board.configure([A]);
    const back = Date.now();
    await until(
      () => gw2.batches.some((b) => b.samples[0]!.timeRequested > back + 500),
      20_000,
      'live batches',
    );
    await sleep(300); // deliberate: batches in flight land
    // every batch of the board's plan it sent before the new gateway configured is delivered
    const got = new Set([...gw1.batches, ...gw2.batches].map((b) => b.seq));
    const first = [...sent.keys()][0]!.split('#')[0]!;
    const missing = [...sent]
      .filter(([id, x]) => id.startsWith(`${first}#`) && x.at < back && !got.has(x.s))
      .map(([, x]) => x.s);
    expect(missing).toEqual([]);
    const keys = new Set([...sent.keys()].map((x) => x.split('#')[0]));
    expect(keys.size, 'the plan was taken over (no new keys)').toBe(1);
  }, 60_000);
});
