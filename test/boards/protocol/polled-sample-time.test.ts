/**
 * A polled reading records when the board took the sample (its `val.clk`, mapped), not only the
 * tick: time_requested = the tick, time_received = the board's sample time; the difference is the
 * poll lateness on /metrics.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Board, BoardEvents, ReadOptions } from '../../../src/boards/board.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { CaptureMetrics } from '../../../src/capture/capture-metrics.js';
import { PolledCollector } from '../../../src/capture/collector-polled.js';
import { EntryOutput } from '../../../src/capture/entry-output.js';
import { FakeClock, realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { CaptureRecord, ReadingRecord } from '../../../src/shared/record.js';
import { attachMqttPeer, type MqttPeer } from '../helpers/mqtt-peer.js';
import { TestPeer } from '../helpers/test-peer.js';
import { until } from '../helpers/wait.js';

describe('polled reads carry the board sample time', () => {
  let broker: EmbeddedBroker;
  let side: MqttPeer;
  let board: ProtocolBoard;

  beforeEach(async () => {
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards: [{ id: 'p1', secret: 'pw-p1' }],
      logger: nullLogger,
    });
    side = await attachMqttPeer(
      broker.url,
      'p1',
      'pw-p1',
      new TestPeer({ bid: 'p1', driftPpm: 120, clkStart: 5_000 }),
    );
    board = new ProtocolBoard(
      'p1',
      { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
      new MqttConnector('p1', () => broker.bus),
      realClock,
      nullLogger,
    );
  });
  afterEach(async () => {
    await board.close();
    await side.close();
    await broker.close();
  });

  it('ProtocolBoard.read reports the board clock of the sample, mapped into the request/answer window', async () => {
    await board.connect();
    for (let i = 0; i < 5; i++) {
      let sampled: number | undefined;
      const before = realClock.now();
      await board.read('Analogs', ['A1'], { timeoutMs: 2000, sampled: (t) => (sampled = t) });
      const after = realClock.now();
      expect(sampled).toBeDefined();
      // the board sampled while the request was out (mapping error on loopback: a few ms)
      expect(sampled!).toBeGreaterThan(before - 5);
      expect(sampled!).toBeLessThan(after + 5);
    }
  });
});

describe('PolledCollector records both times', () => {
  it('time_requested is the tick, time_received the sample time the board reported; lateness on /metrics', async () => {
    const clock = new FakeClock(1_000_000);
    const recs: CaptureRecord[] = [];
    const metrics = new CaptureMetrics();
    const out = new EntryOutput(
      'e',
      'b1',
      {
        part_id: 'p',
        machine: 'm',
        component_type: 'board',
        component_name: 'b1',
        method_name: 'Gpio',
        additional_parameters: {},
        tags: [],
      },
      { append: (_k, _m, r) => void recs.push(r) },
      metrics,
      1000,
      1000,
    );
    // a board that samples 366 ms after it was asked (a link just back, a busy event loop)
    const slow = Object.assign(new EventEmitter<BoardEvents>(), {
      id: 'b1',
      state: 'online' as const,
      connect: async () => ({
        boardId: 'b1',
        firmware: 'x',
        protocol: 1,
        capabilities: { analogs: [], pins: ['27'], maxHz: 10, streamed: false },
      }),
      configure: async () => undefined,
      close: async () => undefined,
      read: async (_m: string, _r: string[], o: ReadOptions) => {
        o.sampled?.(clock.now() + 366);
        return { '27': { high: true } };
      },
    }) as unknown as Board;
    const c = new PolledCollector(slow, 'Gpio', ['27'], 1, out, {
      clock,
      logger: nullLogger,
      metrics,
      readTimeoutMs: 1000,
    });
    c.start(1_000_000);
    clock.advance(0);
    await until(() => recs.length > 0, 10_000, 'a reading');
    await c.stop();
    const r = recs[0] as ReadingRecord;
    expect(r.time_requested).toBe(1_000_000);
    expect(r.time_received).toBe(1_000_366);
    expect(await metrics.registry.render()).toMatch(/wharf_poll_lateness_ms\{board="b1"\} 366/);
  });
});
