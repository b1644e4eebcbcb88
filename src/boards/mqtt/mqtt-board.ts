/**
 * The `mqtt://BOARD-ID` transport: a ProtocolBoard over a BoardBus (embedded broker in-process, or
 * an external broker through mqtt.js). The board id is the remote's name; the address host, when
 * given, must name the same board.
 */
import type { BoardFactory } from '../board.js';
import type { Clock } from '../../shared/clock.js';
import { WharfError } from '../../shared/errors.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import type { Connector, FrameLink, LinkHandlers } from '../protocol/link.js';
import { ProtocolBoard, type ProtocolBoardOptions } from '../protocol/protocol-board.js';
import type { BoardBus } from './bus.js';

/** While an external broker says a board is offline, try a handshake this often anyway. */
const PROBE_EVERY_MS = 5000;

export class MqttConnector implements Connector {
  readonly where: string;

  constructor(
    private readonly boardId: string,
    private readonly bus: () => BoardBus | undefined,
    /** How long open() waits for the board to show up on the bus (its status may be on its way). */
    private readonly appearWaitMs = 1000,
  ) {
    this.where = `mqtt wharf/${boardId}`;
  }

  private lastProbe = 0;

  available(): boolean {
    const bus = this.bus();
    if (bus === undefined) return false;
    if (bus.isOnline(this.boardId)) return true;
    if (bus.probe && Date.now() - this.lastProbe >= PROBE_EVERY_MS) return true;
    return false;
  }

  watch(fn: () => void): () => void {
    const bus = this.bus();
    if (bus?.onOnline === undefined) return () => undefined;
    return bus.onOnline((id) => {
      if (id === this.boardId) fn();
    });
  }

  async open(h: LinkHandlers): Promise<FrameLink> {
    const bus = this.bus();
    if (bus === undefined)
      throw new WharfError(
        'BOARD_DISCONNECTED',
        `board ${this.boardId}: no MQTT broker configured (the gateway starts its embedded broker when an mqtt:// remote is configured)`,
      );
    const until = Date.now() + this.appearWaitMs;
    while (!bus.isOnline(this.boardId) && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    if (!bus.isOnline(this.boardId) && bus.probe && Date.now() - this.lastProbe >= PROBE_EVERY_MS) {
      this.lastProbe = Date.now(); // the status topic may be wrong: let the handshake decide
    } else if (!bus.isOnline(this.boardId)) {
      throw new WharfError(
        'BOARD_DISCONNECTED',
        `board ${this.boardId} is not connected to the ${bus.where} (is it powered, on the network, and using username ${this.boardId} with the remote's secret?)`,
      );
    }
    let up = true;
    const detach = bus.attach(this.boardId, {
      frame: (t) => {
        if (up) h.frame(t);
      },
      offline: (reason) => {
        if (!up) return;
        up = false;
        detach();
        h.down(reason);
      },
    });
    return {
      send: (frame) => {
        if (!up) throw new WharfError('BOARD_DISCONNECTED', `board ${this.boardId} is offline`);
        bus.publish(this.boardId, frame);
      },
      close: async () => {
        up = false;
        detach();
      },
    };
  }
}

export interface MqttTransportDeps {
  clock: Clock;
  logger?: Logger;
  /** The bus to reach boards (a getter: the broker may start after the registry is built). */
  bus: () => BoardBus | undefined;
  options?: ProtocolBoardOptions;
  /** Called with every board created (link counters on /metrics). */
  track?: (b: ProtocolBoard) => void;
}

export function boardIdFromMqttAddress(address: URL, id: string): string {
  const host = decodeURIComponent(address.hostname);
  if (host !== '' && host.toLowerCase() !== id.toLowerCase()) {
    throw new WharfError(
      'CONFIG_INVALID',
      `remote ${id}: address ${address.href} names board '${host}'; an MQTT board is reached by its remote name — write mqtt://${id}`,
    );
  }
  return id;
}

export function mqttFactory(deps: MqttTransportDeps): BoardFactory {
  return {
    scheme: 'mqtt',
    create: (spec) => {
      const id = boardIdFromMqttAddress(spec.address, spec.id);
      const logger = deps.logger?.child({ board: spec.id }) ?? nullLogger;
      const board = new ProtocolBoard(
        spec.id,
        spec.hardware,
        new MqttConnector(id, deps.bus),
        deps.clock,
        logger,
        { ...deps.options },
      );
      deps.track?.(board);
      return board;
    },
  };
}
