/**
 * Load generator for bench/mqtt.ts (its own process, so its CPU is not the gateway's): N board
 * clients speaking protocol v1 over MQTT, each streaming what the gateway plans. Prints one JSON
 * line {samples, batches} when it receives SIGTERM.
 *
 *   node --import tsx bench/boards/mqtt-load.ts URL N PREFIX SECRET
 */
import { attachMqttPeer, type MqttPeer } from '../../test/boards/helpers/mqtt-peer.js';
import { TestPeer } from '../../test/boards/helpers/test-peer.js';

const [url, nStr, prefix, secret] = process.argv.slice(2) as [string, string, string, string];
const n = Number(nStr);
const peers: TestPeer[] = [];
const sides: MqttPeer[] = [];

async function main(): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `${prefix}${i}`;
    const p = new TestPeer({ bid: id, maxHz: 10_000 });
    for (let r = 0; r < 16; r++) p.analog.set(`A${r}`, 1000 + r);
    peers.push(p);
    sides.push(await attachMqttPeer(url, id, secret, p));
  }
  process.stdout.write('ready\n');
}

process.on('SIGTERM', () => {
  const samples = peers.reduce((s, p) => s + p.sent.samples, 0);
  const batches = peers.reduce((s, p) => s + p.sent.batches, 0);
  for (const p of peers) p.detach();
  process.stdout.write(JSON.stringify({ samples, batches }) + '\n');
  setTimeout(() => process.exit(0), 50);
});

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
