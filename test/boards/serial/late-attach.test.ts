/**
 * A board whose side of the serial line comes up after the gateway opened the port: the gateway's
 * first `hello` goes into the void, then the board announces itself (unsolicited `hi`, as the
 * firmware does when its serial link starts). The gateway must ask again at once, not wait out the
 * request timeout: that wait was the ~2.4 s replug resume seen under load (docs/boards.md).
 */
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { SerialConnector } from '../../../src/boards/serial/serial-link.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { requireTool } from '../../helpers/system-tool.js';
import { ESP32_HARDWARE as hardware } from '../helpers/hardware.js';
import { PtyPair } from '../helpers/pty.js';
import { attachSerialPeer } from '../helpers/serial-peer.js';
import { TestPeer } from '../helpers/test-peer.js';
import { until } from '../helpers/wait.js';

/** Long, so a handshake that waits it out cannot pass for a quick one however busy the host is. */
const REQUEST_TIMEOUT_MS = 6000;

describe.skipIf(!requireTool('socat', 'serial tests run over pty pairs'))(
  'serial board attaching late',
  () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const fn of cleanup.reverse()) await fn();
      cleanup.length = 0;
    });

    it('a hello lost before the board listened is re-sent the moment the board announces itself', async () => {
      const pty = new PtyPair();
      await pty.start();
      cleanup.push(() => pty.cleanup());
      // The board's end is open but nobody listens yet: what arrives there is lost.
      const dead = new SerialPort({ path: pty.b, baudRate: 115200, autoOpen: false });
      await new Promise<void>((res, rej) => dead.open((e) => (e ? rej(e) : res())));
      let lost = '';
      dead.on('data', (c: Buffer) => (lost += c.toString('utf8')));

      const board = new ProtocolBoard(
        'b1',
        hardware,
        new SerialConnector({ path: pty.a, baud: 115200 }),
        realClock,
        nullLogger,
        { requestTimeoutMs: REQUEST_TIMEOUT_MS, autoReconnect: false },
      );
      cleanup.push(() => board.close());
      const connected = board.connect();
      connected.catch(() => undefined);
      await until(() => lost.includes('"t":"hello"'), 5000, "the gateway's first hello");
      await new Promise<void>((r) => dead.close(() => r()));

      // The board comes up and announces itself, as the firmware does when its serial link starts.
      const peer = new TestPeer({ bid: 'b1', helloOnBoot: true });
      const side = await attachSerialPeer(pty.b, peer);
      cleanup.push(() => side.close());
      const attached = Date.now();
      const ident = await connected;
      const tookMs = Date.now() - attached;
      process.stdout.write(`[late-attach] online ${tookMs} ms after the board announced itself\n`);

      expect(ident.boardId).toBe('b1');
      // Asked again at once: no request waited out its timeout, and the board heard one hello.
      expect(board.stats.timeouts).toBe(0);
      expect(peer.received.filter((f) => f.t === 'hello')).toHaveLength(1);
      expect(tookMs).toBeLessThan(REQUEST_TIMEOUT_MS / 2);
    });
  },
);
