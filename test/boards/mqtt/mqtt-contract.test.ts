import { boardContractSuite } from '../board-contract.js';
import { startEmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { mqttHarness } from '../helpers/mqtt-harness.js';

boardContractSuite('mqtt (embedded aedes over TCP + protocol test peer)', async () => {
  const id = 'contract-mqtt';
  const secret = 's3cret-contract';
  const broker = await startEmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    boards: [{ id, secret }],
    logger: nullLogger,
  });
  return mqttHarness({
    url: broker.url,
    id,
    secret,
    bus: () => broker.bus,
    cleanup: () => broker.close(),
  });
});
