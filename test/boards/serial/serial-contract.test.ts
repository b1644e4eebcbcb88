import { describe } from 'vitest';
import { boardContractSuite } from '../board-contract.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { SerialConnector } from '../../../src/boards/serial/serial-link.js';
import { realClock } from '../../../src/shared/clock.js';
import { requireTool } from '../../helpers/system-tool.js';
import { PtyPair } from '../helpers/pty.js';
import { attachSerialPeer } from '../helpers/serial-peer.js';
import { TestPeer } from '../helpers/test-peer.js';
import { ESP32_HARDWARE as hardware } from '../helpers/hardware.js';

const hasSocat = requireTool('socat', 'serial tests run over pty pairs');

describe.skipIf(!hasSocat)('serial transport', () => {
  boardContractSuite('serial (pty + protocol test peer)', async () => {
    const pty = new PtyPair();
    await pty.start();
    const peer = new TestPeer({ bid: 'contract-serial' });
    let side = await attachSerialPeer(pty.b, peer);
    const board = new ProtocolBoard(
      'contract-serial',
      hardware,
      new SerialConnector({ path: pty.a, baud: 115200 }),
      realClock,
    );
    return {
      board,
      analogs: ['A1', 'A2'],
      pins: ['27'],
      fullScale: 4095,
      setAnalog: (r, v) => void peer.analog.set(r, v),
      setPin: (p, v) => void peer.pin.set(p, v),
      breakLink: async () => {
        await side.close();
        await pty.kill();
      },
      restoreLink: async () => {
        await pty.start();
        side = await attachSerialPeer(pty.b, peer);
      },
      cleanup: async () => {
        await side.close();
        await pty.cleanup();
      },
    };
  });
});
