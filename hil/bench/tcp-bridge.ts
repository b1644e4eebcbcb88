/**
 * A serial-to-TCP bridge (what ser2net or ESP-Link give a bench): one TCP client at a time on
 * 127.0.0.1:<ephemeral> is piped to a serial device. The espruino CLI reaches it as tcp://host:port.
 */
import net from 'node:net';
import { SerialPort } from 'serialport';

export interface TcpBridge {
  url: string;
  close(): Promise<void>;
}

export async function tcpSerialBridge(path: string, baudRate = 115200): Promise<TcpBridge> {
  // Every port this bridge opened, as the promise of its release: a client that leaves while its
  // port is still opening must not leave the port open (and locked) behind it, and the next client,
  // or whoever takes the device after close(), opens only once the previous holder let go.
  let released: Promise<void> = Promise.resolve();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    const previous = released;
    let gone = false;
    const opened = previous.then(
      () =>
        new Promise<boolean>((resolve) => {
          if (gone) return resolve(false);
          port.open((err) => {
            if (err) {
              sock.destroy(err);
              return resolve(false);
            }
            port.on('data', (d: Buffer) => sock.write(d));
            sock.on('data', (d) => port.write(d));
            resolve(true);
          });
        }),
    );
    released = new Promise<void>((resolve) =>
      sock.on('close', () => {
        gone = true;
        sockets.delete(sock);
        void opened.then((isOpen) =>
          isOpen && port.isOpen ? port.close(() => resolve()) : resolve(),
        );
      }),
    );
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `tcp://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await released;
    },
  };
}
