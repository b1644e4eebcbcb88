/**
 * The Board-contract harness for MQTT, shared by the embedded-broker and the external-Mosquitto runs:
 * a ProtocolBoard reaching board `id` through `bus`, and the protocol test peer on the same broker
 * as that board (link broken by cutting the peer's connection, restored by attaching it again).
 */
import type { BoardBus } from '../../../src/boards/mqtt/bus.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { BoardHarness } from '../board-contract.js';
import { ESP32_HARDWARE } from './hardware.js';
import { attachMqttPeer } from './mqtt-peer.js';
import { TestPeer } from './test-peer.js';

export interface MqttHarnessOptions {
  url: string;
  id: string;
  secret: string;
  bus: () => BoardBus | undefined;
  /** Runs after the peer is closed (e.g. closing a broker started for this harness). */
  cleanup?: () => Promise<void>;
}

export async function mqttHarness(o: MqttHarnessOptions): Promise<BoardHarness> {
  const peer = new TestPeer({ bid: o.id });
  let side = await attachMqttPeer(o.url, o.id, o.secret, peer);
  const board = new ProtocolBoard(
    o.id,
    ESP32_HARDWARE,
    new MqttConnector(o.id, o.bus),
    realClock,
    nullLogger,
    { reconnectPollMs: 100 },
  );
  return {
    board,
    analogs: ['A1', 'A2'],
    pins: ['27'],
    fullScale: 4095,
    timeToleranceMs: 10,
    setAnalog: (r, v) => void peer.analog.set(r, v),
    setPin: (p, v) => void peer.pin.set(p, v),
    breakLink: async () => side.cut(),
    restoreLink: async () => {
      side = await attachMqttPeer(o.url, o.id, o.secret, peer);
    },
    cleanup: async () => {
      await side.close().catch(() => undefined);
      await o.cleanup?.();
    },
  };
}
