/**
 * The gateway's boards side, assembled at start (gateway-start.ts): the embedded MQTT broker when
 * the plan has mqtt:// boards, the transport context, and the registry whose transports are loaded
 * on demand for the schemes a plan uses (an injected registry is used as it is).
 */
import { BoardRegistry, type TransportContext } from '../boards/registry.js';
import { loadTransports } from '../boards/transports.js';
import { gatewayBroker, type GatewayBroker } from '../boards/mqtt/gateway-broker.js';
import { trackLinkStats, trackUnrouted } from '../boards/link-metrics.js';
import type { CapturePlan } from '../config/plan.js';
import type { Clock } from '../shared/clock.js';
import type { Metrics } from '../shared/metrics.js';
import type { GatewayOptions } from './gateway-options.js';

export interface GatewayBoards {
  broker: GatewayBroker;
  registry: BoardRegistry;
  /** Loads the transports a plan needs (a no-op with an injected registry). */
  ensureTransports: (plan: CapturePlan) => Promise<void>;
}

/** Starts the broker and loads the transports of `o.plan`. */
export async function startGatewayBoards(
  o: GatewayOptions,
  clock: Clock,
  metrics: Metrics,
): Promise<GatewayBoards> {
  const { logger, plan } = o;
  const broker = gatewayBroker(logger, metrics);
  await broker.apply(plan); // the MQTT broker, when the plan has mqtt:// boards
  trackUnrouted(metrics, broker.bus);
  const ctx: TransportContext = {
    clock,
    logger: logger.child({ part: 'boards' }),
    mqttBus: broker.bus,
    trackBoard: trackLinkStats(metrics),
    ...(o.transportContext ?? {}),
  };
  const registry = o.registry ?? new BoardRegistry();
  const ensureTransports =
    o.registry === undefined
      ? (p: CapturePlan) => loadTransports(registry, p, ctx)
      : async () => undefined;
  await ensureTransports(plan);
  return { broker, registry, ensureTransports };
}
