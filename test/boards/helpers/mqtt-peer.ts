/** Attaches a TestPeer to a broker as a board: username = id, password = secret, last will offline. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { TestPeer } from './test-peer.js';

export interface MqttPeer {
  client: MqttClient;
  /** Disconnect cleanly (no last will). */
  close(): Promise<void>;
  /** Drop the TCP connection without DISCONNECT (power loss): the broker publishes the last will. */
  cut(): void;
}

export async function attachMqttPeer(
  url: string,
  id: string,
  secret: string,
  peer: TestPeer,
  extra: IClientOptions = {},
): Promise<MqttPeer> {
  const client = mqtt.connect(url, {
    clientId: id,
    username: id,
    password: secret,
    reconnectPeriod: 0,
    connectTimeout: 3000,
    will: { topic: `wharf/${id}/status`, payload: Buffer.from('offline'), retain: true, qos: 1 },
    ...extra,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  client.on('error', () => undefined);
  client.on('message', (topic, payload) => {
    if (topic === `wharf/${id}/down`) peer.receive(payload.toString('utf8'));
  });
  await client.subscribeAsync(`wharf/${id}/down`, { qos: 0 });
  await client.publishAsync(`wharf/${id}/status`, 'online', { retain: true, qos: 1 });
  peer.attach((line) => {
    if (client.connected) client.publish(`wharf/${id}/up`, line, { qos: 0 });
  });
  return {
    client,
    close: async () => {
      peer.detach();
      await client.endAsync(false);
    },
    cut: () => {
      peer.detach();
      client.stream.destroy();
      client.end(true);
    },
  };
}
