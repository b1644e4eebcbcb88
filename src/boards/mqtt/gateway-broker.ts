/**
 * What the gateway app needs from the MQTT side, in one object: the broker for the plan's
 * `mqtt://` boards (embedded aedes by default, or an external broker per `wharf.broker.url`),
 * started only when the plan has MQTT boards, kept in step on live reload (boards and secrets),
 * closed at stop. `bus` is the getter the mqtt transport reads.
 */
import type { BrokerSettings, CapturePlan } from '../../config/plan.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
// aedes and mqtt.js are imported only when the plan has MQTT boards (apply)
import type { BrokerBoard, EmbeddedBroker } from './broker.js';
import type { BoardBus } from './bus.js';
import type { ExternalBus } from './external-bus.js';

export interface GatewayBroker {
  bus: () => BoardBus | undefined;
  /** The embedded broker when running (for status, tests). */
  embedded(): EmbeddedBroker | undefined;
  apply(plan: CapturePlan): Promise<void>;
  close(): Promise<void>;
}

function mqttBoards(plan: CapturePlan, logger: Logger): BrokerBoard[] {
  const out: BrokerBoard[] = [];
  for (const b of plan.boards) {
    if (b.transport !== 'mqtt') continue;
    if (b.secret === undefined || b.secret === '') {
      logger.warn(
        { board: b.id },
        'MQTT board has no secret in its remote config; it cannot authenticate (add "secret" to the remote)',
      );
      continue;
    }
    out.push({ id: b.id, secret: b.secret });
  }
  return out;
}

/** `metrics`: the gateway's registry, for the broker's refusal counter. */
export function gatewayBroker(logger: Logger, metrics?: Metrics): GatewayBroker {
  let embedded: EmbeddedBroker | undefined;
  let external: ExternalBus | undefined;
  let settings = '';
  const stop = async () => {
    await embedded?.close();
    await external?.close();
    embedded = undefined;
    external = undefined;
    settings = '';
  };
  return {
    bus: () => embedded?.bus ?? external,
    embedded: () => embedded,
    async apply(plan) {
      const hasMqtt = plan.boards.some((b) => b.transport === 'mqtt');
      const boards = mqttBoards(plan, logger);
      const s: BrokerSettings = plan.gateway.broker;
      const key = JSON.stringify(s);
      if (!hasMqtt) return;
      if (settings !== '' && settings !== key) {
        logger.warn(
          {},
          'wharf.broker changed; it applies at the next start (the running broker stays)',
        );
      }
      if (embedded !== undefined) return embedded.setBoards(boards);
      if (external !== undefined) return;
      settings = key;
      try {
        if (s.mode === 'embedded') {
          const { startEmbeddedBroker } = await import('./broker.js');
          embedded = await startEmbeddedBroker({
            host: s.host,
            port: s.port,
            ...(s.tls === undefined ? {} : { tls: s.tls }),
            boards,
            logger: logger.child({ part: 'broker' }),
            ...(metrics === undefined ? {} : { metrics }),
          });
        } else {
          const { ExternalBus } = await import('./external-bus.js');
          external = await ExternalBus.connect({
            url: s.url,
            ...(s.username === undefined ? {} : { username: s.username }),
            ...(s.password === undefined ? {} : { password: s.password }),
            logger: logger.child({ part: 'broker' }),
          });
        }
      } catch (err) {
        settings = '';
        // An embedded broker that cannot listen is a config error: refuse. An external broker that is
        // down now may come back: its boards stay offline (board_offline gaps) and a reload retries.
        if (s.mode === 'embedded') throw err;
        logger.error(
          { err: errorMessage(err) },
          'external MQTT broker not reachable; MQTT boards stay offline (their entries record board_offline gaps)',
        );
      }
    },
    close: stop,
  };
}
