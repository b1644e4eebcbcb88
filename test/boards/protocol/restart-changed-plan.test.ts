/**
 * A gateway restart with a changed config while the board holds a backlog of the old plan (issue
 * 17, hostile re-check). The built serial bundle runs in the emulator on a real pty; the "gateway" is
 * a ProtocolBoard + SerialConnector, closed and replaced by a fresh one (a new process knows nothing
 * of the board). The board streams A1 at 20 Hz and pin 27 at 10 Hz; the new config keeps A1 as it was
 * and changes pin 27 to 5 Hz. The old plan cannot be taken over as a whole, but the A1 entry is
 * unchanged: every A1 batch the board kept must still be delivered, under the old plan's key.
 */
import { describe, expect, it } from 'vitest';
import type { SamplingEntry, StreamBatch } from '../../../src/boards/board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
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
import { uplinkFrames } from '../helpers/uplink-frames.js';

const hardware = { analogs: [{ name: 'A1', pin: '34' }], pins: ['27'] };
const A: SamplingEntry = { key: 'a', method: 'Analogs', readers: ['A1'], hz: 20, mode: 'streamed' };
const G = (hz: number): SamplingEntry => ({
  key: 'g',
  method: 'Gpio',
  readers: ['27'],
  hz,
  mode: 'streamed',
});

interface Sent {
  k: string;
  s: number;
  /** host ms of the first sample */
  at: number;
  analog: boolean;
}

function gateway(path: string, batchMs = 100): { board: ProtocolBoard; batches: StreamBatch[] } {
  const board = new ProtocolBoard(
    'restart-plan',
    hardware,
    new SerialConnector({ path, baud: 115200 }),
    realClock,
    nullLogger,
    { linkTimeoutMs: 3000, pingIntervalMs: 900, reconnectPollMs: 100, batchMs },
  );
  const batches: StreamBatch[] = [];
  board.on('batch', (b) => batches.push(b));
  return { board, batches };
}

async function board(
  cleanups: Array<() => Promise<void>>,
): Promise<{ pty: PtyPair; sent: Sent[] }> {
  const pty = new PtyPair();
  await pty.start();
  cleanups.push(() => pty.cleanup());
  const code = await bundleFor({ transport: 'serial', boardId: 'restart-plan' });
  const serial = await PtySerial.open(pty.b);
  const sent: Sent[] = [];
  const emulator: EmulatedBoard = new EmulatedBoard({
    code,
    serial,
    analog: { D34: constant(1.65) },
    gpio: { D27: constant(1) },
    onUplink: uplinkFrames<{ t?: string; k: string; s: number; t0: number; v: number[][] }>((f) => {
      if (f.t === 'b' && !sent.some((x) => x.k === f.k && x.s === f.s))
        sent.push({ k: f.k, s: f.s, at: emulator.boardToWall(f.t0), analog: f.v[0]![0]! > 1 });
    }),
  });
  emulator.start();
  cleanups.push(() => emulator.stop());

  return { pty, sent };
}

describe.skipIf(!requireTool('socat', 'the restart test wires an emulated ESP32 over a pty pair'))(
  'gateway restart with a changed config',
  () => {
    it('the unchanged entry keeps its backlog: every A1 batch the board sent is delivered', async () => {
      const cleanups: Array<() => Promise<void>> = [];
      try {
        const { pty, sent } = await board(cleanups);
        const gw1 = gateway(pty.a);
        cleanups.push(() => gw1.board.close());
        await gw1.board.connect();
        await gw1.board.configure([A, G(10)]);
        await until(
          () => gw1.batches.filter((b) => b.key === 'a').length >= 10,
          20_000,
          '10 A1 batches',
        );
        const oldKey = sent.find((x) => x.analog)!.k;
        await gw1.board.close(); // the gateway is gone; the board keeps sampling into its backlog
        await sleep(3000); // deliberate: the outage

        const gw2 = gateway(pty.a);
        cleanups.push(() => gw2.board.close());
        await gw2.board.connect();
        await gw2.board.configure([A, G(5)]);
        const newKeyAt = () => sent.find((x) => x.analog && x.k !== oldKey)?.at;
        await until(() => newKeyAt() !== undefined, 10_000, 'the new plan running');
        const old = sent.filter((x) => x.k === oldKey);
        const delivered = (x: Sent) =>
          [...gw1.batches, ...gw2.batches].some(
            (b) =>
              b.key === 'a' && b.seq === x.s && Math.abs(b.samples[0]!.timeRequested - x.at) < 25,
          );
        await until(
          () => old.every(delivered),
          10_000,
          'every A1 batch of the old plan delivered',
        ).catch(() => undefined);
        const missing = old.filter((x) => !delivered(x)).map((x) => x.s);
        expect(missing, `old-plan A1 batches ${old[0]!.s}..${old.at(-1)!.s}`).toEqual([]);
        // and the new plan's A1 batches follow the old ones in time, without overlap
        const newFirst = gw2.batches.find(
          (b) => b.key === 'a' && Math.abs(b.samples[0]!.timeRequested - newKeyAt()!) < 25,
        );
        expect(newFirst?.seq).toBe(0);
        expect(newKeyAt()!).toBeGreaterThan(old.at(-1)!.at);
      } finally {
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      }
    }, 90_000);

    it('a live plan change: the batch the board closes when the new plan arrives is delivered', async () => {
      const cleanups: Array<() => Promise<void>> = [];
      try {
        const { pty, sent } = await board(cleanups);
        // 1 s batches: the board almost always holds an open batch when the plan changes
        const gw = gateway(pty.a, 1000);
        cleanups.push(() => gw.board.close());
        await gw.board.connect();
        await gw.board.configure([A]);
        await until(() => gw.batches.length >= 3, 20_000, '3 A1 batches');
        const oldKey = sent.find((x) => x.analog)!.k;
        await sleep(500); // deliberate: the plan changes in the middle of a batch
        await gw.board.configure([A, G(10)]);
        const newKeyAt = () => sent.find((x) => x.analog && x.k !== oldKey)?.at;
        await until(() => newKeyAt() !== undefined, 10_000, 'the new plan running');
        const old = sent.filter((x) => x.k === oldKey);
        const delivered = (x: Sent) =>
          gw.batches.some(
            (b) =>
              b.key === 'a' && b.seq === x.s && Math.abs(b.samples[0]!.timeRequested - x.at) < 25,
          );
        await until(() => old.every(delivered), 5000, 'every A1 batch of the old plan').catch(
          () => undefined,
        );
        expect(old.filter((x) => !delivered(x)).map((x) => x.s)).toEqual([]);
      } finally {
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      }
    }, 60_000);
  },
);
