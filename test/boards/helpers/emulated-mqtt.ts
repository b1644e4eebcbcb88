/**
 * An emulated ESP32 running the built MQTT bundle against a fresh embedded broker on loopback
 * (the board's id and secret as its only account), its A1 input at 1.65 V, started. `onFrame`
 * sees each JSON frame the board publishes. Both are closed by the test's cleanups.
 */
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { EmulatedBoard } from '../../../src/emulator/board.js';
import { constant } from '../../../src/emulator/signals.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { bundleFor } from '../../../hil/emulator/bundle.js';
import { parseFrame } from './uplink-frames.js';

export interface UpFrame {
  t?: string;
  k: string;
  s: number;
}

export async function startEmulatedMqttBoard(o: {
  id: string;
  secret: string;
  onFrame: (f: UpFrame) => void;
  cleanups: Array<() => Promise<void>>;
}): Promise<{ broker: EmbeddedBroker; emulator: EmulatedBoard }> {
  const broker = await startEmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    boards: [{ id: o.id, secret: o.secret }],
    logger: nullLogger,
  });
  o.cleanups.push(() => broker.close());
  const code = await bundleFor({
    transport: 'mqtt',
    boardId: o.id,
    mqttHost: '127.0.0.1',
    mqttPort: broker.port,
    secret: o.secret,
  });
  const emulator = new EmulatedBoard({
    code,
    analog: { D34: constant(1.65) },
    onUplink: (text) => {
      const f = parseFrame<UpFrame>(text);
      if (f !== undefined) o.onFrame(f);
    },
  });
  emulator.start();
  o.cleanups.push(() => emulator.stop());
  return { broker, emulator };
}
