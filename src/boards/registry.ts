/**
 * The transport registry: address scheme → BoardFactory, with no transport imported (so a process
 * loads only the transports it registers; `transports.ts` has the built-in ones). The composition
 * roots (src/app, src/cli) fill one; the capture engine gets it injected as a `BoardSource`
 * (src/boards/board.ts).
 */
import type { Board, BoardFactory, BoardHardwareConfig, BoardSource } from './board.js';
import type { BoardSensor, BoardSpec } from '../config/plan.js';
import type { Clock } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import { WharfError } from '../shared/errors.js';
import type { BoardBus } from './mqtt/bus.js';
import type { TrackedBoard } from './link-metrics.js';

/** What transports may need from the gateway; the app fills in what it has. */
export interface TransportContext {
  clock: Clock;
  logger: Logger;
  /** A getter for the broker's BoardBus (src/boards/mqtt/gateway-broker.ts), for mqtt:// boards. */
  mqttBus?: () => BoardBus | undefined;
  /** Link statistics (src/boards/link-metrics.ts `trackLinkStats`), when the app keeps metrics. */
  trackBoard?: (b: TrackedBoard) => void;
}

export class BoardRegistry implements BoardSource {
  private readonly factories = new Map<string, BoardFactory>();

  register(factory: BoardFactory): this {
    this.factories.set(factory.scheme, factory);
    return this;
  }

  has(scheme: string): boolean {
    return this.factories.has(scheme);
  }

  schemes(): string[] {
    return [...this.factories.keys()].sort();
  }

  /** Creates the Board for a plan's BoardSpec. Throws BOARD_UNSUPPORTED for an unknown scheme. */
  create(spec: BoardSpec): Board {
    let url: URL;
    try {
      url = new URL(spec.address);
    } catch {
      throw new WharfError(
        'BOARD_UNSUPPORTED',
        `board ${spec.id}: address '${spec.address}' is not a URL (expected e.g. sim://${spec.id} or serial:///dev/ttyUSB0)`,
      );
    }
    const scheme = url.protocol.replace(/:$/, '');
    const factory = this.factories.get(scheme);
    if (factory === undefined) {
      throw new WharfError(
        'BOARD_UNSUPPORTED',
        `board ${spec.id}: no transport for '${scheme}://' (address ${spec.address}); available: ${this.schemes()
          .map((s) => `${s}://`)
          .join(', ')}`,
      );
    }
    const create: Parameters<BoardFactory['create']>[0] = {
      id: spec.id,
      address: url,
      hardware: mergeHardware(spec),
    };
    if (spec.secret !== undefined) create.secret = spec.secret;
    return factory.create(create);
  }
}

/** A remote usually has one board component; several are merged (readers and pins united). */
export function mergeHardware(spec: BoardSpec): BoardHardwareConfig {
  const analogs = new Map<string, string>();
  const pins = new Set<string>();
  const sensors: BoardSensor[] = [];
  for (const c of spec.components) {
    for (const a of c.hardware.analogs) analogs.set(a.name, a.pin);
    for (const p of c.hardware.pins) pins.add(p);
    for (const s of c.hardware.sensors ?? []) sensors.push(s);
  }
  return {
    analogs: [...analogs].map(([name, pin]) => ({ name, pin })),
    pins: [...pins],
    ...(sensors.length > 0 ? { sensors } : {}),
  };
}
