/**
 * Load generator for the MQTT benches (its own process, so its CPU is not the receiver's): N board
 * clients speaking protocol v1 over MQTT. Prints `ready` once all are connected, then a JSON line
 * {samples, batches} every 500 ms and a last one (with "final": true) when it receives SIGTERM.
 *
 *   node --import tsx bench/boards/mqtt-load.ts URL N PREFIX SECRET [options]
 *
 *   --first I        board ids PREFIX<I> … PREFIX<I+N-1> (several load processes share one fleet)
 *   --spm S          S samples per batch message, exactly (default: the firmware's batching)
 *   --self R:HZ      stream R readers at HZ right away, without a gateway's plan (a plain broker)
 *   --raw            write batch frames as pre-encoded QoS 0 PUBLISH packets straight to the socket
 *                    (skips mqtt.js's per-publish work, so one process can offer more)
 */
import { attachMqttPeer, type MqttPeer } from '../../test/boards/helpers/mqtt-peer.js';
import { TestPeer } from '../../test/boards/helpers/test-peer.js';

const [url, nStr, prefix, secret, ...rest] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  ...string[],
];
const opt = (name: string): string | undefined => {
  const i = rest.indexOf(name);
  return i < 0 ? undefined : rest[i + 1];
};
const n = Number(nStr);
const first = Number(opt('--first') ?? 0);
const spm = opt('--spm') === undefined ? undefined : Number(opt('--spm'));
const self = opt('--self')?.split(':').map(Number);
const raw = rest.includes('--raw');
const peers: TestPeer[] = [];
const sides: MqttPeer[] = [];

/** A QoS 0 PUBLISH packet (MQTT 3.1.1 §3.3): fixed header, remaining length, topic, payload. */
function publishPacket(topic: Buffer, payload: string): Buffer {
  const body = Buffer.byteLength(payload);
  let rem = 2 + topic.length + body;
  const len: number[] = [];
  do {
    let b = rem % 128;
    rem = Math.floor(rem / 128);
    if (rem > 0) b |= 0x80;
    len.push(b);
  } while (rem > 0);
  const out = Buffer.allocUnsafe(1 + len.length + 2 + topic.length + body);
  out[0] = 0x30;
  let o = 1;
  for (const b of len) out[o++] = b;
  out.writeUInt16BE(topic.length, o);
  topic.copy(out, o + 2);
  out.write(payload, o + 2 + topic.length, 'utf8');
  return out;
}

function totals(): { samples: number; batches: number } {
  return {
    samples: peers.reduce((s, p) => s + p.sent.samples, 0),
    batches: peers.reduce((s, p) => s + p.sent.batches, 0),
  };
}

async function main(): Promise<void> {
  for (let i = first; i < first + n; i++) {
    const id = `${prefix}${i}`;
    const p = new TestPeer({
      bid: id,
      maxHz: 10_000,
      ...(spm === undefined ? {} : { batchSamples: spm }),
    });
    for (let r = 0; r < 16; r++) p.analog.set(`A${r}`, 1000 + r);
    peers.push(p);
    const side = await attachMqttPeer(url, id, secret, p);
    sides.push(side);
    if (raw) {
      const topic = Buffer.from(`wharf/${id}/up`);
      const c = side.client;
      // Every line (batches and replies) as mqtt-peer sends it, a QoS 0 publish on the up topic.
      p.attach((line) => {
        if (c.connected) c.stream.write(publishPacket(topic, line));
      });
    }
  }
  if (self !== undefined) {
    const [readers, hz] = self as [number, number];
    const r = Array.from({ length: readers }, (_, j) => `A${j}`);
    for (const p of peers) p.stream([{ k: 'A', m: 'A', r, hz }], 100);
  }
  process.stdout.write('ready\n');
  setInterval(() => process.stdout.write(JSON.stringify(totals()) + '\n'), 500).unref();
}

process.on('SIGTERM', () => {
  for (const p of peers) p.detach();
  process.stdout.write(JSON.stringify({ ...totals(), final: true }) + '\n');
  setTimeout(() => process.exit(0), 50);
});

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
