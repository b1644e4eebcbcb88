/** The `serial://` transport: a ProtocolBoard over a SerialConnector. */
import type { BoardFactory } from '../board.js';
import type { Clock } from '../../shared/clock.js';
import { nullLogger, type Logger } from '../../shared/logger.js';
import { ProtocolBoard, type ProtocolBoardOptions } from '../protocol/protocol-board.js';
import { parseSerialAddress } from './address.js';
import { SerialConnector } from './serial-link.js';

export function serialFactory(deps: {
  clock: Clock;
  logger?: Logger;
  options?: ProtocolBoardOptions;
  track?: (b: ProtocolBoard) => void;
}): BoardFactory {
  return {
    scheme: 'serial',
    create: (spec) => {
      const addr = parseSerialAddress(spec.address);
      const logger = deps.logger?.child({ board: spec.id }) ?? nullLogger;
      const board = new ProtocolBoard(
        spec.id,
        spec.hardware,
        new SerialConnector(addr),
        deps.clock,
        logger,
        deps.options,
      );
      deps.track?.(board);
      return board;
    },
  };
}
