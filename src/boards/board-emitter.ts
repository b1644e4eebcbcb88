/**
 * The event side every Board implementation shares (sim, Firmata, and the protocol boards over
 * serial and MQTT): its state, a `status` event at each change, and a listener that throws logged
 * instead of thrown into the board's own read, stream and reconnect paths.
 */
import { EventEmitter } from 'node:events';
import type { BoardEvents, BoardState } from './board.js';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export abstract class BoardEmitter extends EventEmitter<BoardEvents> {
  abstract readonly id: string;
  protected stateValue: BoardState = 'offline';

  protected constructor(
    protected readonly clock: Clock,
    protected readonly logger: Logger,
  ) {
    super();
  }

  protected setState(state: BoardState, reason?: string): void {
    this.stateValue = state;
    this.safeEmit('status', {
      state,
      at: this.clock.now(),
      ...(reason === undefined ? {} : { reason }),
    });
  }

  protected safeEmit<K extends keyof BoardEvents>(event: K, ...args: BoardEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: BoardEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.logger.error(
        { board: this.id, event, err: errorMessage(err) },
        'a board event listener threw',
      );
    }
  }
}
