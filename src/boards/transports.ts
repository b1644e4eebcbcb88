/**
 * The transports wharf ships. A gateway loads them on demand (`loadTransports`): it imports a
 * transport's module — and the libraries behind it (serialport, mqtt and aedes, johnny-five) — only
 * when its plan has a board with that scheme, so a sim-only or serial-only gateway does not carry
 * the MQTT stack (~8 MB RSS) and so on. `all-transports.ts` registers every one at once, for callers
 * (tests, benches) that want them all. A new transport adds one line here and one there.
 */
import type { CapturePlan } from '../config/plan.js';
import type { BoardFactory } from './board.js';
import type { BoardRegistry, TransportContext } from './registry.js';

const LOADERS: Record<string, (ctx: TransportContext) => Promise<BoardFactory>> = {
  sim: async (ctx) =>
    (await import('./sim.js')).simFactory({ clock: ctx.clock, logger: ctx.logger }),
  serial: async (ctx) =>
    (await import('./serial/serial-board.js')).serialFactory({
      clock: ctx.clock,
      logger: ctx.logger,
      track: ctx.trackBoard,
    }),
  firmata: async (ctx) =>
    (await import('./firmata/firmata-board.js')).firmataFactory({
      clock: ctx.clock,
      logger: ctx.logger,
    }),
  mqtt: async (ctx) =>
    (await import('./mqtt/mqtt-board.js')).mqttFactory({
      clock: ctx.clock,
      logger: ctx.logger,
      bus: ctx.mqttBus ?? (() => undefined),
      track: ctx.trackBoard,
    }),
};

/** The address schemes a plan's boards use. */
export function schemesOf(plan: CapturePlan): string[] {
  const out = new Set<string>();
  for (const b of plan.boards) {
    const m = /^([a-z][a-z0-9+.-]*):/i.exec(b.address);
    if (m !== null) out.add(m[1]!.toLowerCase());
  }
  return [...out].sort();
}

/**
 * Registers every transport the plan needs that the registry does not have yet. Schemes without a
 * built-in transport are left to the registry (BOARD_UNSUPPORTED names the available ones).
 */
export async function loadTransports(
  registry: BoardRegistry,
  plan: CapturePlan,
  ctx: TransportContext,
): Promise<void> {
  for (const scheme of schemesOf(plan)) {
    const load = LOADERS[scheme];
    if (load !== undefined && !registry.has(scheme)) registry.register(await load(ctx));
  }
}
