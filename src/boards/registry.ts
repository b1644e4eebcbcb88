/**
 * Transport registry: address scheme → BoardFactory. The capture engine creates every Board through
 * here and never imports a transport. Each transport adds one line to `builtinTransports` below.
 * The registry class itself lives in board-registry.ts.
 */
import type { BoardFactory } from './board.js';
import { simFactory } from './sim.js';
import { serialFactory } from './serial/serial-board.js';
import { mqttFactory } from './mqtt/mqtt-board.js';
import { firmataFactory } from './firmata/firmata-board.js';
import type { BoardBus } from './mqtt/bus.js';
import type { TrackedBoard } from './link-metrics.js';

import { BoardRegistry, type TransportContext } from './board-registry.js';

export { BoardRegistry, mergeHardware, type TransportContext } from './board-registry.js';

/** `trackBoard` (src/boards/link-metrics.ts) when the app provides it. */
function trackOf(ctx: TransportContext): ((b: TrackedBoard) => void) | undefined {
  return ctx.trackBoard as ((b: TrackedBoard) => void) | undefined;
}

/** The transports wharf ships. Serial, MQTT and Firmata add their factories here. */
export const builtinTransports: Array<(ctx: TransportContext) => BoardFactory> = [
  (ctx) => simFactory({ clock: ctx.clock, logger: ctx.logger }),
  (ctx) => serialFactory({ clock: ctx.clock, logger: ctx.logger, track: trackOf(ctx) }),
  // `mqttBus`: a getter for the broker's BoardBus (src/boards/mqtt/gateway-broker.ts); the app fills it in.
  (ctx) => firmataFactory({ clock: ctx.clock, logger: ctx.logger }),
  (ctx) =>
    mqttFactory({
      clock: ctx.clock,
      logger: ctx.logger,
      bus: (ctx.mqttBus as (() => BoardBus | undefined) | undefined) ?? (() => undefined),
      track: trackOf(ctx),
    }),
];

export function defaultRegistry(ctx: TransportContext): BoardRegistry {
  const r = new BoardRegistry();
  for (const make of builtinTransports) r.register(make(ctx));
  return r;
}
