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

export class MqttConnector implements Connector {
  readonly where: string;

  constructor(
    private readonly boardId: string,
    private readonly bus: () => BoardBus | undefined,
  ) {
    this.where = `mqtt wharf/${boardId}`;
  }

  available(): boolean {
    return this.bus()?.isOnline(this.boardId) ?? false;
  }

  async open(h: LinkHandlers): Promise<FrameLink> {
    const bus = this.bus();
    if (bus === undefined) throw new WharfError('BOARD_DISCONNECTED', `board ${this.boardId}: no MQTT broker configured (the gateway starts its embedded broker when an mqtt:// remote is configured)`);
    if (!bus.isOnline(this.boardId)) {
      throw new WharfError('BOARD_DISCONNECTED', `board ${this.boardId} is not connected to the ${bus.where} (is it powered, on the network, and using username ${this.boardId} with the remote's secret?)`);
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
}

export function boardIdFromMqttAddress(address: URL, id: string): string {
  const host = decodeURIComponent(address.hostname);
  if (host !== '' && host.toLowerCase() !== id.toLowerCase()) {
    throw new WharfError('CONFIG_INVALID', `remote ${id}: address ${address.href} names board '${host}'; an MQTT board is reached by its remote name — write mqtt://${id}`);
  }
  return id;
}

export function mqttFactory(deps: MqttTransportDeps): BoardFactory {
  return {
    scheme: 'mqtt',
    create: (spec) => {
      const id = boardIdFromMqttAddress(spec.address, spec.id);
      const logger = deps.logger?.child({ board: spec.id }) ?? nullLogger;
      return new ProtocolBoard(spec.id, spec.hardware, new MqttConnector(id, deps.bus), deps.clock, logger, { ...deps.options });
    },
  };
}
