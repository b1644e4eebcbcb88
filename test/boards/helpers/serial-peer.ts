/** Attaches a TestPeer to the board end of a pty with serialport. */
import { SerialPort } from 'serialport';
import { LineFramer } from '../../../src/boards/protocol/line-framer.js';
import type { TestPeer } from './test-peer.js';

export async function attachSerialPeer(
  path: string,
  peer: TestPeer,
  baudRate = 115200,
): Promise<{ port: SerialPort; close(): Promise<void> }> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  const framer = new LineFramer(
    (l) => peer.receive(l),
    () => undefined,
  );
  port.on('data', (c: Buffer) => framer.push(c));
  port.on('error', () => undefined);
  peer.attach((line) => {
    if (port.isOpen) port.write(line + '\n');
  });
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        peer.detach();
        if (!port.isOpen) return r();
        port.close(() => r());
      }),
  };
}
