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
  const open = new Set<SerialPort>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    open.add(port);
    port.open((err) => {
      if (err) return void sock.destroy(err);
      port.on('data', (d: Buffer) => sock.write(d));
      sock.on('data', (d) => port.write(d));
    });
    sock.on('close', () => {
      sockets.delete(sock);
      if (port.isOpen) port.close(() => open.delete(port));
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `tcp://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      for (const p of open) if (p.isOpen) await new Promise<void>((r) => p.close(() => r()));
    },
  };
}
