/** Streaming over the embedded broker: clock mapping within 10 ms on loopback, reboot handling. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BoardGap, StreamBatch } from '../../../src/boards/board.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { attachMqttPeer, type MqttPeer } from '../helpers/mqtt-peer.js';
import { TestPeer } from '../helpers/test-peer.js';
import { until } from '../helpers/wait.js';

const hardware = { analogs: [{ name: 'A1', pin: '34' }], pins: ['27'] };

describe('mqtt link (embedded broker)', () => {
  let broker: EmbeddedBroker;
  let peer: TestPeer;
  let side: MqttPeer;
  let board: ProtocolBoard;
  let batches: StreamBatch[];
  let gaps: BoardGap[];

  beforeEach(async () => {
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards: [{ id: 'm1', secret: 'pw-m1' }],
      logger: nullLogger,
    });
    peer = new TestPeer({ bid: 'm1', driftPpm: -150, clkStart: 77_000 });
    side = await attachMqttPeer(broker.url, 'm1', 'pw-m1', peer);
    board = new ProtocolBoard(
      'm1',
      hardware,
      new MqttConnector('m1', () => broker.bus),
      realClock,
      nullLogger,
      { pingIntervalMs: 500 },
    );
    batches = [];
    gaps = [];
    board.on('batch', (b) => batches.push(b));
    board.on('gap', (g) => gaps.push(g));
  });
  afterEach(async () => {
    await board.close();
    await side.close();
    await broker.close();
  });

  it('maps streamed sample times to gateway time within 10 ms (offset and −150 ppm drift)', async () => {
    await board.connect();
    await board.configure([
      { key: 'k', method: 'Analogs', readers: ['A1'], hz: 100, mode: 'streamed' },
    ]);
    // ≥ 3 s of board time at 100 Hz (pings every 500 ms meanwhile), however long that takes.
    const sampleCount = (): number => batches.reduce((n, b) => n + b.samples.length, 0);
    await until(() => sampleCount() > 300, 30_000, 'more than 300 streamed samples');
    const k = (peer.received.find((f) => f.t === 'plan')!.e as { k: string }[])[0]!.k;
    let worst = 0;
    let n = 0;
    for (const b of batches) {
      const sent = peer.sentBatches.get(`${k}#${b.seq}`)!;
      b.samples.forEach((s, i) => {
        n++;
        worst = Math.max(
          worst,
          Math.abs(s.timeRequested - peer.trueGatewayTime(sent.t0 + i * sent.dt)),
        );
      });
    }
    expect(n).toBeGreaterThan(250);
    expect(worst).toBeLessThanOrEqual(10);
  });

  it('a reboot over MQTT is a board_reboot gap and streaming resumes at seq 0', async () => {
    await board.connect();
    await board.configure([
      { key: 'k', method: 'Analogs', readers: ['A1'], hz: 20, mode: 'streamed' },
    ]);
    await until(() => batches.length >= 2, 10_000, 'two batches');
    peer.reboot(10);
    await until(() => gaps.some((g) => g.reason === 'board_reboot'), 10_000, 'a board_reboot gap');
    const cut = batches.length;
    await until(() => batches.length >= cut + 2, 10_000, 'two batches after the reboot');
    expect(gaps.filter((g) => g.reason === 'board_reboot').map((g) => g.key)).toEqual(['k']);
    expect(batches[cut]!.seq).toBe(0);
    expect(board.stats.reboots).toBe(1);
  });
});
