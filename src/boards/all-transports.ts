/**
 * Every built-in transport, loaded at once: `defaultRegistry(ctx)` for callers that want them all
 * (tests, benches). A gateway loads only what its plan needs (`transports.ts`).
 */
import type { BoardFactory } from './board.js';
import { BoardRegistry, type TransportContext } from './registry.js';
import { simFactory } from './sim.js';
import { serialFactory } from './serial/serial-board.js';
import { mqttFactory } from './mqtt/mqtt-board.js';
import { firmataFactory } from './firmata/firmata-board.js';

/** Every built-in transport, loaded at once. */
export const builtinTransports: Array<(ctx: TransportContext) => BoardFactory> = [
  (ctx) => simFactory({ clock: ctx.clock, logger: ctx.logger }),
  (ctx) => serialFactory({ clock: ctx.clock, logger: ctx.logger, track: ctx.trackBoard }),
  (ctx) => firmataFactory({ clock: ctx.clock, logger: ctx.logger }),
  (ctx) =>
    mqttFactory({
      clock: ctx.clock,
      logger: ctx.logger,
      bus: ctx.mqttBus ?? (() => undefined),
      track: ctx.trackBoard,
    }),
];

export function defaultRegistry(ctx: TransportContext): BoardRegistry {
  const r = new BoardRegistry();
  for (const make of builtinTransports) r.register(make(ctx));
  return r;
}
