/**
 * Firmata through the real johnny-five + firmata-io stack on a real pty, against a StandardFirmata
 * responder. Also proves only the project's serialport is loaded (johnny-five's nested serialport 8
 * and firmata's are never required).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { boardContractSuite } from '../board-contract.js';
import { FirmataBoard } from '../../../src/boards/firmata/firmata-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { requireTool } from '../../helpers/system-tool.js';
import { FirmataResponder } from '../helpers/firmata-responder.js';
import { PtyPair } from '../helpers/pty.js';

const hardware = {
  analogs: [
    { name: 'A0', pin: 'A0' },
    { name: 'A1', pin: '15' },
  ],
  pins: ['2'],
};
const channel: Record<string, number> = { A0: 0, A1: 1 };

describe.skipIf(!requireTool('socat', 'Firmata tests run over pty pairs'))(
  'firmata transport',
  () => {
    boardContractSuite(
      'firmata (johnny-five + firmata-io over a pty, StandardFirmata responder)',
      async () => {
        const pty = new PtyPair();
        await pty.start();
        const uno = new FirmataResponder();
        await uno.attach(pty.b);
        const board = new FirmataBoard(
          { id: 'uno', address: `firmata://${pty.a}?baud=57600`, hardware },
          realClock,
          undefined,
          { reconnectPollMs: 100 },
        );
        return {
          board,
          analogs: ['A0', 'A1'],
          pins: ['2'],
          fullScale: 1023,
          setAnalog: (r, v) => uno.setAnalog(channel[r]!, v),
          setPin: (p, v) => uno.setDigital(Number(p), v),
          breakLink: async () => {
            await uno.detach();
            await pty.kill();
          },
          restoreLink: async () => {
            await pty.start();
            await uno.attach(pty.b);
          },
          cleanup: async () => {
            await uno.detach();
            await pty.cleanup();
          },
        };
      },
    );

    it('loads a single serialport: the one the project depends on', async () => {
      const pty = new PtyPair();
      await pty.start();
      const uno = new FirmataResponder();
      await uno.attach(pty.b);
      const board = new FirmataBoard(
        { id: 'uno', address: `firmata://${pty.a}`, hardware },
        realClock,
      );
      try {
        const id = await board.connect();
        expect(id.firmware).toBe('StandardFirmata.ino 2.5');
        expect(id.capabilities.streamed).toBe(false);
        const req = createRequire(import.meta.url);
        const mods = Object.keys(req.cache);
        // The real stack ran (positive control) …
        expect(mods.some((k) => k.includes('/node_modules/johnny-five/lib/board.js'))).toBe(true);
        expect(mods.some((k) => k.includes('/node_modules/firmata-io/lib/firmata.js'))).toBe(true);
        // … without the second serialport (johnny-five's and firmata's nested serialport 8).
        expect(
          mods.filter((k) =>
            /node_modules\/(johnny-five|firmata)\/node_modules\/(serialport|@serialport)\//.test(k),
          ),
        ).toEqual([]);
        expect(mods.some((k) => k.includes('/node_modules/firmata/lib/'))).toBe(false);
        await expect(
          board.configure([
            { key: 'fast', method: 'Analogs', readers: ['A0'], hz: 500, mode: 'polled' },
          ]),
        ).rejects.toMatchObject({ code: 'BOARD_UNSUPPORTED' });
      } finally {
        await board.close();
        await uno.detach();
        await pty.cleanup();
      }
    });
  },
);
