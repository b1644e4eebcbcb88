/**
 * An MQTT board whose session is taken over by a second client with the same client id (issue 17,
 * hostile re-check): the embedded broker, the built MQTT bundle in the emulator streaming to the
 * gateway's ProtocolBoard, and an mqtt.js client that connects with the board's id and secret —
 * a clone, or the board's own stale session — and subscribes to its down topic. The broker drops the
 * board; the intruder does not answer the gateway; the board redials after 5 s and takes its session
 * back. Every batch the board sent is delivered exactly once, and it stays the same run of the board
 * (no reboot gap, no new plan: the keys carry on).
 */
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { BoardGap, StreamBatch } from '../../../src/boards/board.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { sleep, until } from '../helpers/wait.js';
import { startEmulatedMqttBoard } from '../helpers/emulated-mqtt.js';

const ID = 'takeover';
const SECRET = 'takeover-secret';

describe('MQTT session takeover', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it('a second client with the board id takes the session; the board takes it back; nothing is lost or doubled', async () => {
    const sent = new Map<string, number>();
    const { broker, emulator } = await startEmulatedMqttBoard({
      id: ID,
      secret: SECRET,
      cleanups,
      onFrame: (f) => {
        if (f.t === 'b') sent.set(`${f.k}#${f.s}`, f.s);
      },
    });
    const board = new ProtocolBoard(
      ID,
      { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
      new MqttConnector(ID, () => broker.bus, 5000),
      realClock,
      nullLogger,
      { reconnectPollMs: 100 },
    );
    cleanups.push(() => board.close());
    const batches: StreamBatch[] = [];
    const gaps: BoardGap[] = [];
    board.on('batch', (b) => batches.push(b));
    board.on('gap', (g) => gaps.push(g));
    await board.connect();
    await board.configure([
      { key: 'a', method: 'Analogs', readers: ['A1'], hz: 20, mode: 'streamed' },
    ]);
    await until(() => batches.length >= 10, 20_000, '10 batches');

    const intruder = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: ID,
      username: ID,
      password: SECRET,
      reconnectPeriod: 0,
    });
    cleanups.push(() => intruder.endAsync(true));
    await new Promise<void>((resolve, reject) => {
      intruder.once('connect', () => resolve());
      intruder.once('error', reject);
    });
    await intruder.subscribeAsync(`wharf/${ID}/down`);
    const takenAt = Date.now();
    await until(() => !emulator.mqttConnected(), 5000, 'the board dropped by the broker');
    // the board redials by itself (every 5 s) and takes the session back from the intruder
    await until(() => emulator.mqttConnected(), 15_000, 'the board back on the broker');
    const backAt = Date.now();
    await until(
      () => batches.some((b) => b.samples[0]!.timeRequested > backAt + 500),
      20_000,
      'live batches after the board came back',
    );
    await sleep(300); // deliberate: batches in flight land
    const keys = new Set([...sent.keys()].map((x) => x.split('#')[0]));
    expect(keys.size, 'the plan was kept (same key)').toBe(1);
    const seqs = batches.map((b) => b.seq);
    expect(new Set(seqs).size, 'no batch delivered twice').toBe(seqs.length);
    const upTo = Math.max(...seqs);
    const missing = [...sent.values()].filter((s) => s <= upTo && !seqs.includes(s));
    expect(missing, `taken over at ${takenAt}, back at ${backAt}`).toEqual([]);
    expect(gaps.filter((g) => g.reason !== 'missed_ticks')).toEqual([]);
  }, 60_000);
});
