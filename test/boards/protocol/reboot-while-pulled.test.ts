/**
 * A board that reboots while its link is pulled and the gateway runs (issue 17, hostile re-check):
 * the built serial bundle in the emulator on a real pty, the gateway's ProtocolBoard on the other
 * end. During a 4 s pull the board power-cycles (new boot id, clock from 0, backlog gone). When the
 * link is back the gateway must see a restart, not a rejoin: one `board_reboot` gap per entry from
 * the last sample it has to the reconnect (covering what the board lost), its plan sent again
 * (sequence from 0), and every sample delivered afterwards mapped with the new boot's clock. The
 * board had run only a few seconds, so its clock after the reboot does not step back below what the
 * gateway saw: only its boot id (in `pong`) tells.
 */
import { describe, expect, it } from 'vitest';
import type { BoardGap, StreamBatch } from '../../../src/boards/board.js';
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

const ID = 'rb-pull';

describe.skipIf(!requireTool('socat', 'the reboot test wires an emulated ESP32 over a pty pair'))(
  'a board that reboots while its link is pulled',
  () => {
    it('is a restart: a board_reboot gap over what it lost, the plan again, new-boot times', async () => {
      const cleanups: Array<() => Promise<void>> = [];
      try {
        const pty = new PtyPair();
        await pty.start();
        cleanups.push(() => pty.cleanup());
        const code = await bundleFor({ transport: 'serial', boardId: ID });
        const serial = await PtySerial.open(pty.b);
        /** host ms of every batch the board wrote, by boot|key#seq */
        const sent = new Map<string, number>();
        const emulator: EmulatedBoard = new EmulatedBoard({
          code,
          serial,
          analog: { D34: constant(1.65) },
          onUplink: uplinkFrames<{ t?: string; k: string; s: number; t0: number }>((f) => {
            const id = `${emulator.boots}|${f.k}#${f.s}`;
            if (f.t === 'b' && !sent.has(id)) sent.set(id, emulator.boardToWall(f.t0));
          }),
        });
        emulator.start();
        cleanups.push(() => emulator.stop());
        const board = new ProtocolBoard(
          ID,
          { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
          new SerialConnector({ path: pty.a, baud: 115200 }),
          realClock,
          nullLogger,
          { linkTimeoutMs: 3000, pingIntervalMs: 900, reconnectPollMs: 100 },
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
        const pulledAt = Date.now();
        await sleep(2000); // deliberate: the board samples into its backlog
        emulator.reboot();
        await sleep(2000); // deliberate: the rest of the pull
        emulator.restoreLink();
        const back = Date.now();
        await until(
          () => batches.some((b) => b.samples[0]!.timeRequested > back + 1000),
          30_000,
          'live batches after the reboot',
        );
        const lastBefore = Math.max(
          ...batches
            .filter((b) => b.samples[0]!.timeRequested < pulledAt + 100)
            .map((b) => b.samples.at(-1)!.timeRequested),
        );
        const reboots = gaps.filter((g) => g.reason === 'board_reboot');
        expect(reboots.length, JSON.stringify(gaps)).toBe(1);
        const r = reboots[0]!;
        expect(r.end).toBeGreaterThanOrEqual(r.start);
        expect(Math.abs(r.start - (lastBefore + 50))).toBeLessThan(60);
        expect(r.end).toBeGreaterThan(back - 100);
        // after the reboot: the plan again (from 0), samples at their new-boot times, and none of
        // them inside the reboot gap
        const after = [...sent].filter(([id]) => id.startsWith('2|'));
        expect(after.length).toBeGreaterThan(0);
        expect(after.some(([id]) => id.endsWith('#0'))).toBe(true);
        const delivered = batches.flatMap((b) => b.samples.map((x) => x.timeRequested));
        for (const t of delivered) expect(t > r.start && t < r.end, `sample ${t}`).toBe(false);
        for (const [, at] of after.filter(([, at]) => at < Date.now() - 1000))
          expect(
            delivered.some((t) => Math.abs(t - at) < 25),
            `sample at ${at}`,
          ).toBe(true);
        expect(board.stats.reboots).toBe(1);
      } finally {
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
      }
    }, 60_000);
  },
);
