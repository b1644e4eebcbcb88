/**
 * A link pull exactly while the gateway is mid-handshake (issue 17, hostile re-check): the built
 * bundle in the emulator — serial over a real pty, MQTT on the embedded broker — streams to the
 * gateway's ProtocolBoard. A first pull (3 s) gives the board a backlog; when the link comes back
 * the gateway re-handshakes, and the moment the board writes its answer to `hello` the link is
 * pulled again (the `hi` and the start of the drain go nowhere), then restored 2 s later. Every
 * batch the board sent is delivered exactly once, the board stays the same run (no reboot gap) and
 * the only gaps are missed_ticks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BoardGap, StreamBatch } from '../../../src/boards/board.js';
import { startEmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import type { Connector } from '../../../src/boards/protocol/link.js';
import { SerialConnector } from '../../../src/boards/serial/serial-link.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { EmulatedBoard } from '../../../src/emulator/board.js';
import { bundleFor } from '../../../hil/emulator/bundle.js';
import { PtySerial } from '../../../src/emulator/serial-binding.js';
import { constant } from '../../../src/emulator/signals.js';
import { requireTool } from '../../helpers/system-tool.js';
import { PtyPair } from '../helpers/pty.js';
import { sleep, until } from '../helpers/wait.js';
import { lines, parseFrame } from '../helpers/uplink-frames.js';

const ID = 'hs-pull';
const SECRET = 'hs-pull-secret';
const hasSocat = requireTool('socat', 'the serial case wires an emulated ESP32 over a pty pair');

describe('a pull while the gateway is mid-handshake', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function run(transport: 'serial' | 'mqtt'): Promise<void> {
    let connector: Connector;
    let code: string;
    let serial: PtySerial | undefined;
    if (transport === 'serial') {
      const pty = new PtyPair();
      await pty.start();
      cleanups.push(() => pty.cleanup());
      code = await bundleFor({ transport: 'serial', boardId: ID });
      serial = await PtySerial.open(pty.b);
      connector = new SerialConnector({ path: pty.a, baud: 115200 });
    } else {
      const broker = await startEmbeddedBroker({
        host: '127.0.0.1',
        port: 0,
        boards: [{ id: ID, secret: SECRET }],
        logger: nullLogger,
      });
      cleanups.push(() => broker.close());
      code = await bundleFor({
        transport: 'mqtt',
        boardId: ID,
        mqttHost: '127.0.0.1',
        mqttPort: broker.port,
        secret: SECRET,
      });
      connector = new MqttConnector(ID, () => broker.bus, 5000);
    }
    const sent = new Set<number>();
    let armed = false;
    let pulledInHandshake = 0;
    const frame = (line: string) => {
      const f = parseFrame<{ t?: string; s: number; id?: number }>(line);
      if (f === undefined) return;
      if (f.t === 'b') sent.add(f.s);
      if (armed && f.t === 'hi' && f.id !== undefined) {
        armed = false; // the answer to hello: pull now
        emulator.pullLink();
        pulledInHandshake = Date.now();
      }
    };
    const serialLines = lines(frame);
    const emulator: EmulatedBoard = new EmulatedBoard({
      code,
      ...(serial === undefined ? {} : { serial }),
      analog: { D34: constant(1.65) },
      // MQTT: one frame per message; serial: a byte stream of lines
      onUplink: (text) => (transport === 'mqtt' ? frame(text) : serialLines(text)),
    });
    emulator.start();
    cleanups.push(() => emulator.stop());
    const board = new ProtocolBoard(
      ID,
      { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
      connector,
      realClock,
      nullLogger,
      {
        linkTimeoutMs: 3000,
        pingIntervalMs: 900,
        reconnectPollMs: 100,
      },
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

    emulator.pullLink();
    await until(() => board.state === 'offline', 15_000, 'the gateway noticing the pull');
    await sleep(1000); // deliberate: the rest of the first outage
    armed = true;
    emulator.restoreLink();
    await until(() => pulledInHandshake > 0, 20_000, 'the board answering hello after the pull');
    await sleep(2000); // deliberate: the second outage, mid-handshake
    emulator.restoreLink();
    const backAt = Date.now();
    await until(
      () => batches.some((b) => b.samples[0]!.timeRequested > backAt + 500),
      30_000,
      'live batches after the second restore',
    );
    await sleep(300); // deliberate: batches in flight land
    const seqs = batches.map((b) => b.seq);
    expect(new Set(seqs).size, 'no batch delivered twice').toBe(seqs.length);
    const upTo = Math.max(...seqs);
    const missing = [...sent].filter((s) => s <= upTo && !seqs.includes(s));
    expect(missing).toEqual([]);
    expect(gaps.filter((g) => g.reason !== 'missed_ticks')).toEqual([]);
    expect(board.stats.reboots).toBe(0);
  }

  it.skipIf(!hasSocat)(
    'serial',
    async () => {
      await run('serial');
    },
    60_000,
  );

  it('mqtt (embedded broker)', async () => {
    await run('mqtt');
  }, 60_000);
});
