/**
 * Serial transport behaviour over real pty pairs with the protocol test peer: clock mapping,
 * sequence numbers, reboot, garbage on the line, unplug/replug.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BoardGap, BoardStatus, StreamBatch } from '../../../src/boards/board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { SerialConnector } from '../../../src/boards/serial/serial-link.js';
import { realClock } from '../../../src/shared/clock.js';
import { memoryLogger } from '../../../src/shared/logger.js';
import type { AnalogValue } from '../../../src/shared/record.js';
import { requireTool } from '../../helpers/system-tool.js';
import { PtyPair } from '../helpers/pty.js';
import { attachSerialPeer } from '../helpers/serial-peer.js';
import { TestPeer } from '../helpers/test-peer.js';
import { ESP32_HARDWARE as hardware } from '../helpers/hardware.js';
import { sleep, until } from '../helpers/wait.js';

describe.skipIf(!requireTool('socat', 'serial tests run over pty pairs'))(
  'serial link over a pty',
  () => {
    let pty: PtyPair;
    let peer: TestPeer;
    let side: Awaited<ReturnType<typeof attachSerialPeer>>;
    let board: ProtocolBoard;
    let batches: StreamBatch[];
    let gaps: BoardGap[];
    let statuses: BoardStatus[];
    const log = memoryLogger();

    async function setup(opts: ConstructorParameters<typeof TestPeer>[0]): Promise<void> {
      pty = new PtyPair();
      await pty.start();
      peer = new TestPeer(opts);
      side = await attachSerialPeer(pty.b, peer);
      board = new ProtocolBoard(
        'b1',
        hardware,
        new SerialConnector({ path: pty.a, baud: 115200 }),
        realClock,
        log,
        { pingIntervalMs: 500, reconnectPollMs: 200 },
      );
      batches = [];
      gaps = [];
      statuses = [];
      board.on('batch', (b) => batches.push(b));
      board.on('gap', (g) => gaps.push(g));
      board.on('status', (s) => statuses.push(s));
    }

    beforeEach(() => {
      log.lines.length = 0;
    });

    afterEach(async () => {
      await board.close();
      await side.close();
      await pty.cleanup();
    });

    it('maps board time to gateway time within 2 ms, with an offset and 200 ppm drift', async () => {
      await setup({ bid: 'b1', driftPpm: 200, clkStart: 5_000_000 });
      await board.connect();
      await board.configure([
        { key: 'k', method: 'Analogs', readers: ['A1'], hz: 100, mode: 'streamed' },
      ]);
      // ≥ 3 s of board time at 100 Hz (the clock sync pings every 500 ms meanwhile), however
      // long that takes on a busy machine.
      const sampleCount = (): number => batches.reduce((n, b) => n + b.samples.length, 0);
      await until(() => sampleCount() > 300, 30_000, 'more than 300 streamed samples');
      const samples = batches.flatMap((b) => b.samples);
      expect(samples.length).toBeGreaterThan(250);
      // Ground truth: the peer knows the board clock of every sample and how its clock runs.
      const sentKeys = peer.received
        .filter((f) => f.t === 'plan')
        .map((f) => (f.e as { k: string }[])[0]!.k);
      let worst = 0;
      for (const b of batches) {
        const sent = peer.sentBatches.get(`${sentKeys[0]}#${b.seq}`)!;
        b.samples.forEach((s, i) => {
          worst = Math.max(
            worst,
            Math.abs(s.timeRequested - peer.trueGatewayTime(sent.t0 + i * sent.dt)),
          );
        });
      }
      expect(worst).toBeLessThanOrEqual(2);
      expect(Math.abs(board.clockMap.estimate().offsetMs)).toBeGreaterThan(1000);
    });

    it('passes sequence numbers through: a lost batch shows as a skipped number', async () => {
      await setup({ bid: 'b1' });
      await board.connect();
      await board.configure([
        { key: 'k', method: 'Analogs', readers: ['A1', 'A2'], hz: 50, mode: 'streamed' },
      ]);
      await until(() => batches.length >= 2, 10_000, 'two batches');
      peer.dropNext = 1;
      await until(() => batches.length >= 5, 10_000, 'five batches');
      const seqs = batches.map((b) => b.seq);
      const skipped = seqs.slice(1).filter((s, i) => s !== seqs[i]! + 1);
      expect(skipped).toHaveLength(1);
    });

    it('a reboot is a board_reboot gap; cfg and plan are re-sent and streaming resumes with correct times', async () => {
      await setup({ bid: 'b1', clkStart: 9_000_000 });
      await board.connect();
      await board.configure([
        { key: 'k', method: 'Analogs', readers: ['A1'], hz: 50, mode: 'streamed' },
      ]);
      await until(() => batches.length >= 3, 10_000, 'batches');
      peer.reboot(200);
      await until(
        () => gaps.some((g) => g.reason === 'board_reboot'),
        10_000,
        'a board_reboot gap',
      );
      const g = gaps.find((x) => x.reason === 'board_reboot')!;
      expect(g.key).toBe('k');
      const cut = batches.length;
      await until(() => batches.length >= cut + 3, 10_000, 'batches after the reboot');
      const after = batches.slice(cut);
      expect(after[0]!.seq).toBe(0);
      const now = Date.now();
      for (const s of after.flatMap((b) => b.samples))
        expect(Math.abs(s.timeRequested - now)).toBeLessThan(2000);
      expect(peer.received.filter((f) => f.t === 'cfg')).toHaveLength(2);
      expect(peer.received.filter((f) => f.t === 'plan')).toHaveLength(2);
      expect(board.state).toBe('online');
    });

    it('garbage, overlong lines, bad JSON and wrong types are counted, logged at a limited rate, and the link lives', async () => {
      await setup({ bid: 'b1' });
      await board.connect();
      const rss0 = process.memoryUsage().rss;
      for (let i = 0; i < 50; i++) peer.sendRaw('\x00\xff garbage ' + i);
      peer.sendRaw('x'.repeat(200_000)); // one overlong line, no newline until the end
      peer.sendRaw('{"t":"b","k":"x","s":"one"}');
      peer.sendRaw('[1,2,3]');
      peer.sendRaw('{"t":"val","id":"7"}');
      peer.analog.set('A1', 77);
      const data = (await board.read('Analogs', ['A1'], { timeoutMs: 3000 })) as Record<
        string,
        AnalogValue
      >;
      expect(data.A1!.value).toBe(77);
      expect(board.stats.badFrames).toBe(54);
      const warned = log.lines.filter((l) => l.msg === 'bad frame from board skipped');
      expect(warned.length).toBeGreaterThanOrEqual(1);
      expect(warned.length).toBeLessThanOrEqual(2);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(50 * 1024 * 1024);
    });

    it('board gap frames become gaps with their reason, once each (a board re-sends them after an outage)', async () => {
      await setup({ bid: 'b1' });
      await board.connect();
      await board.configure([
        { key: 'k', method: 'Analogs', readers: ['A1'], hz: 10, mode: 'streamed' },
      ]);
      const k = (peer.received.find((f) => f.t === 'plan')!.e as { k: string }[])[0]!.k;
      expect(peer.received.find((f) => f.t === 'plan')!.lt).toBe(8000);
      const clk = peer.clk();
      const frame = JSON.stringify({
        t: 'gap',
        k,
        why: 'missed_ticks',
        n: 3,
        t0: clk - 300,
        t1: clk - 100,
      });
      peer.sendRaw(frame);
      peer.sendRaw(frame);
      peer.sendRaw(
        JSON.stringify({
          t: 'gap',
          k,
          why: 'backlog_overflow',
          n: 40,
          t0: clk - 5000,
          t1: clk - 1000,
        }),
      );
      await until(() => gaps.length >= 2, 10_000, 'two gaps');
      // frames are handled in the order they arrive: the repeat, sent before the overflow frame,
      // has been handled (and dropped) by now
      expect(gaps.map((g) => [g.key, g.reason, g.count])).toEqual([
        ['k', 'missed_ticks', 3],
        ['k', 'backlog_overflow', 40],
      ]);
      expect(Math.abs(gaps[0]!.end - peer.trueGatewayTime(clk - 100))).toBeLessThan(2);
      expect(board.stats.repeatedGaps).toBe(1);
    });

    it('pulling the pty mid-stream goes offline; replugging resumes within 2 s without a connect() call', async () => {
      // The board's side attaches after the port is back and announces itself, as the firmware does
      // when its serial link starts: a hello lost before that is asked again at once.
      await setup({ bid: 'b1', helloOnBoot: true });
      await board.connect();
      await board.configure([
        { key: 'k', method: 'Analogs', readers: ['A1'], hz: 50, mode: 'streamed' },
      ]);
      await until(() => batches.length >= 2, 10_000, 'batches');
      await side.close();
      await pty.kill();
      await until(() => statuses.some((s) => s.state === 'offline'), 10_000, 'offline');
      await expect(board.read('Analogs', ['A1'], { timeoutMs: 500 })).rejects.toMatchObject({
        code: 'BOARD_DISCONNECTED',
      });
      await sleep(700); // deliberate: the cable stays out a while before the replug
      statuses.length = 0;
      await pty.start();
      side = await attachSerialPeer(pty.b, peer);
      const back = Date.now();
      await until(
        () => statuses.some((s) => s.state === 'online'),
        2000,
        'online again within 2 s',
      );
      expect(Date.now() - back).toBeLessThanOrEqual(2000);
      peer.analog.set('A1', 5);
      expect(
        ((await board.read('Analogs', ['A1'], { timeoutMs: 2000 })) as Record<string, AnalogValue>)
          .A1!.value,
      ).toBe(5);
    });
  },
);
