/**
 * Serial throughput benchmark (not a test): a board streams 4 analog readers over a pty at a rate
 * above what 115200 baud can carry; the board side is paced to the line rate (115200 / 10 =
 * 11520 bytes/s, as a UART would), so the link is saturated. Measured: readings/s the gateway
 * delivers (mapped, decoded Board batches) against the line-rate bound = 11520 / wire bytes per
 * reading of protocol v1 (measured from the bytes the board sent). Also printed: the same against
 * a raw 12-bit bound (1.5 bytes per reading, no framing), and the unpaced pty ceiling (how much
 * headroom the gateway has beyond the line).
 *
 *   node --import tsx bench/serial.ts [seconds=20] [hz=460]
 */
import { SerialPort } from 'serialport';
import { ProtocolBoard } from '../src/boards/protocol/protocol-board.js';
import { SerialConnector } from '../src/boards/serial/serial-link.js';
import { LineFramer } from '../src/boards/protocol/line-framer.js';
import { realClock } from '../src/shared/clock.js';
import { PtyPair } from '../test/boards/helpers/pty.js';
import { TestPeer } from '../test/boards/helpers/test-peer.js';

const seconds = Number(process.argv[2] ?? 20);
const BAUD = 115200;
const READERS = ['A1', 'A2', 'A3', 'A4'];
const hardware = { analogs: READERS.map((name, i) => ({ name, pin: String(32 + i) })), pins: [] };

async function run(
  paced: boolean,
  hz: number,
  secs: number,
): Promise<{
  delivered: number;
  wireBytesPerReading: number;
  offeredBytes: number;
  lineBytesPerS: number;
  secs: number;
}> {
  const pty = new PtyPair();
  await pty.start();
  const peer = new TestPeer({ bid: 'sat', maxHz: 100_000 });
  for (const [i, r] of READERS.entries()) peer.analog.set(r, 4000 + i);
  const port = new SerialPort({ path: pty.b, baudRate: BAUD, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const framer = new LineFramer(
    (l) => peer.receive(l),
    () => undefined,
  );
  port.on('data', (c: Buffer) => framer.push(c));
  port.on('error', () => undefined); // writes cancelled by close at the end of a run
  // A UART at BAUD: at most BAUD/10 bytes per second leave the board, the rest waits in its buffer.
  const queue: Buffer[] = [];
  let streamed = false;
  let bytesOffered = 0;
  // Credit by elapsed time (a late timer does not slow the UART down), at most 100 ms worth.
  let credit = 0;
  let counting = false;
  let lineBytes = 0;
  let last = performance.now();
  const pacer = setInterval(() => {
    const now = performance.now();
    credit = Math.min(credit + ((now - last) / 1000) * (BAUD / 10), BAUD / 100);
    last = now;
    while (queue.length > 0 && credit >= 1) {
      const b = queue[0]!;
      const n = Math.min(b.length, Math.floor(credit));
      port.write(b.subarray(0, n));
      credit -= n;
      if (counting) lineBytes += n;
      if (n === b.length) queue.shift();
      else queue[0] = b.subarray(n);
    }
  }, 10);
  peer.attach((line) => {
    const buf = Buffer.from(line + '\n');
    if (line.startsWith('{"t":"b"')) {
      streamed = true;
      bytesOffered += buf.length;
    }
    if (paced && streamed) queue.push(buf);
    else port.write(buf);
  });
  const board = new ProtocolBoard(
    'sat',
    hardware,
    new SerialConnector({ path: pty.a, baud: BAUD }),
    realClock,
  );
  let delivered = 0;
  let windowStart = 0;
  board.on('batch', (b) => {
    if (counting) delivered += b.samples.length * READERS.length;
  });
  await board.connect();
  await board.configure([{ key: 'k', method: 'Analogs', readers: READERS, hz, mode: 'streamed' }]);
  await new Promise((r) => setTimeout(r, 2000)); // warm up, fill the line
  counting = true;
  windowStart = performance.now();
  await new Promise((r) => setTimeout(r, secs * 1000));
  counting = false;
  const elapsed = (performance.now() - windowStart) / 1000;
  clearInterval(pacer);
  const wireBytesPerReading = bytesOffered / (peer.sent.samples * READERS.length);
  await board.close();
  peer.detach();
  await new Promise<void>((r) => port.close(() => r()));
  await pty.cleanup();
  return {
    delivered: delivered / elapsed,
    wireBytesPerReading,
    offeredBytes: bytesOffered,
    lineBytesPerS: lineBytes / elapsed,
    secs: elapsed,
  };
}

async function main(): Promise<void> {
  // 4 readers × 460 Hz offer ~11.2 kB/s: 97% of the 11.5 kB/s line (a plan past 100% is refused by the
  // link budget; pongs queue behind batches on a real UART too, so an overfull line loses the clock).
  const hz = Number(process.argv[3] ?? 460);
  process.stderr.write(
    `serial: paced to ${BAUD} baud, ${hz} Hz × ${READERS.length} readers, ${seconds} s …\n`,
  );
  const paced = await run(true, hz, seconds);
  const line = BAUD / 10;
  const bound = line / paced.wireBytesPerReading;
  const raw = line / 1.5;
  process.stderr.write(`serial: unpaced pty ceiling, 5000 Hz × ${READERS.length} readers, 8 s …\n`);
  const free = await run(false, 5000, 8);
  process.stdout.write(
    [
      `serial bench (${seconds} s at saturation; ${READERS.length} analog readers; batches every 100 ms)`,
      `| measure | value |`,
      `|---|---|`,
      `| line rate | ${line} bytes/s (${BAUD} baud 8N1) |`,
      `| bytes the paced board put on the line | ${paced.lineBytesPerS.toFixed(0)} bytes/s (${((paced.lineBytesPerS / line) * 100).toFixed(1)}% of the line) |`,
      `| wire bytes per reading (protocol v1 JSON batches) | ${paced.wireBytesPerReading.toFixed(2)} |`,
      `| line-rate bound for protocol v1 | ${bound.toFixed(0)} readings/s |`,
      `| delivered by the gateway | ${paced.delivered.toFixed(0)} readings/s = ${((paced.delivered / bound) * 100).toFixed(1)}% of the bound |`,
      `| against a raw 12-bit bound (1.5 bytes/reading, no framing) | ${((paced.delivered / raw) * 100).toFixed(1)}% of ${raw.toFixed(0)} readings/s |`,
      `| unpaced pty (no UART pacing), offered 20000 readings/s | ${free.delivered.toFixed(0)} readings/s delivered |`,
    ].join('\n') + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
