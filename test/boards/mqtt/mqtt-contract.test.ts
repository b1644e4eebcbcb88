import { boardContractSuite } from '../board-contract.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { startEmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { attachMqttPeer } from '../helpers/mqtt-peer.js';
import { TestPeer } from '../helpers/test-peer.js';

const hardware = { analogs: [{ name: 'A1', pin: '34' }, { name: 'A2', pin: '35' }], pins: ['27'] };

boardContractSuite('mqtt (embedded aedes over TCP + protocol test peer)', async () => {
  const id = 'contract-mqtt';
  const secret = 's3cret-contract';
  const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, boards: [{ id, secret }], logger: nullLogger });
  const peer = new TestPeer({ bid: id });
  let side = await attachMqttPeer(broker.url, id, secret, peer);
  const board = new ProtocolBoard(id, hardware, new MqttConnector(id, () => broker.bus), realClock, nullLogger, { reconnectPollMs: 100 });
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
      side = await attachMqttPeer(broker.url, id, secret, peer);
    },
    cleanup: async () => {
      await side.close().catch(() => undefined);
      await broker.close();
    },
  };
});
