/**
 * MQTT board payloads: any topic and payload published into the embedded broker (aedes, in
 * process) go through the real AedesBus routing to the board's handler, which decodes the frame
 * and feeds the stream decoder. Nothing may throw; a frame for `wharf/<id>/up` reaches exactly
 * that board's handler, other topics reach none.
 */
import fc from 'fast-check';
import { Aedes, type AedesPublishPacket } from 'aedes';
import { AedesBus } from '../../src/boards/mqtt/aedes-bus.js';
import { parseTopic, upTopic } from '../../src/boards/mqtt/topics.js';
import { fail, mutated, rawBytes, utf8, type FuzzTarget, NORMAL } from '../core.js';
import { decodeAndConsume, frameObject, runningDecoder } from './protocol.js';

export interface MqttInput {
  topic: string;
  payload: Uint8Array;
}

const BOARDS = ['esp-1', 'esp-2'];

let bus: { bus: AedesBus; aedes: Aedes; got: Map<string, string[]> } | undefined;

async function theBus() {
  if (bus !== undefined) return bus;
  const aedes = await Aedes.createBroker();
  const b = new AedesBus(aedes, 'fuzz broker', () => undefined);
  const got = new Map<string, string[]>();
  const decoder = runningDecoder();
  for (const id of BOARDS) {
    got.set(id, []);
    b.attach(id, {
      frame: (text) => {
        got.get(id)!.push(text);
        decodeAndConsume(text, decoder);
      },
      offline: () => undefined,
    });
  }
  bus = { bus: b, aedes, got };
  return bus;
}

export async function closeMqttFuzz(): Promise<void> {
  if (bus !== undefined) await new Promise<void>((r) => bus!.aedes.close(() => r()));
  bus = undefined;
}

const topic = fc.oneof(
  fc.constantFrom(...BOARDS).map(upTopic),
  fc.constantFrom('wharf/esp-9/up', 'wharf//up', 'wharf/esp-1/down', 'wharf/esp-1/up/x', 'x'),
  fc.string({ maxLength: 20 }).map((s) => `wharf/${s}/up`),
);

export const mqtt: FuzzTarget<MqttInput> = {
  name: 'mqtt-payload',
  about: 'topic + payload published into the embedded aedes broker → AedesBus → frame decoder',
  arbitrary: (corpus) =>
    fc.record({
      topic,
      payload: fc.oneof(
        {
          weight: 3 * NORMAL,
          arbitrary: frameObject.map((o) => new Uint8Array(Buffer.from(JSON.stringify(o)))),
        },
        { weight: 2 * NORMAL, arbitrary: mutated(corpus) },
        { weight: 1 * NORMAL, arbitrary: rawBytes() },
      ),
    }),
  fromBytes: (b) => ({ topic: upTopic('esp-1'), payload: b }),
  async check(inp) {
    const { aedes, got } = await theBus();
    for (const list of got.values()) list.length = 0;
    await new Promise<void>((resolve, reject) =>
      aedes.publish(
        {
          cmd: 'publish',
          topic: inp.topic,
          payload: Buffer.from(inp.payload),
          qos: 0,
          retain: false,
          dup: false,
        } as AedesPublishPacket,
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    const t = parseTopic(inp.topic);
    for (const id of BOARDS) {
      const want = t !== undefined && t.leaf === 'up' && t.id === id ? [utf8(inp.payload)] : [];
      const have = got.get(id)!;
      if (have.length !== want.length || (want.length === 1 && have[0] !== want[0]))
        fail(
          `board ${id} got ${have.length} frames for topic ${JSON.stringify(inp.topic)}, expected ${want.length}`,
        );
    }
  },
};
