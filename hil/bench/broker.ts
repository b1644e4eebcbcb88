/**
 * A bench MQTT broker (aedes, in process, loopback, ephemeral port) with wharf's board rules:
 * a board logs in as its board id with its secret and may only publish to wharf/<id>/up|status
 * and subscribe to wharf/<id>/down; the gateway logs in as `gateway`.
 */
import net from 'node:net';
import { Aedes } from 'aedes';

export interface BenchBroker {
  url: string;
  port: number;
  gateway: { username: string; password: string };
  /** Client ids refused or denied, for tests. */
  denied: string[];
  close(): Promise<void>;
}

export async function benchBroker(boards: Record<string, string>): Promise<BenchBroker> {
  const gateway = { username: 'gateway', password: `gw-${Math.random().toString(36).slice(2)}` };
  const denied: string[] = [];
  const who = new WeakMap<object, string>();
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const pw = password?.toString() ?? '';
      if (username === gateway.username && pw === gateway.password) {
        who.set(client, '*');
        return done(null, true);
      }
      if (username !== undefined && boards[username] !== undefined && boards[username] === pw) {
        who.set(client, username);
        return done(null, true);
      }
      denied.push(client.id);
      const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const });
      done(err, false);
    },
    authorizePublish: (client, packet, cb) => {
      const id = client ? who.get(client) : '*';
      if (id === '*' || packet.topic === `wharf/${id}/up` || packet.topic === `wharf/${id}/status`)
        return cb(null);
      denied.push(`${client?.id} publish ${packet.topic}`);
      cb(new Error('not allowed'));
    },
    authorizeSubscribe: (client, sub, cb) => {
      const id = who.get(client);
      if (id === '*' || sub.topic === `wharf/${id}/down`) return cb(null, sub);
      denied.push(`${client.id} subscribe ${sub.topic}`);
      cb(new Error('not allowed'));
    },
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    gateway,
    denied,
    close: async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
