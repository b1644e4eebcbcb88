/**
 * How the gateway reaches boards over MQTT, independent of where the broker runs: in-process on
 * the embedded aedes broker (no loopback client, no re-encoding) or through an mqtt.js client on an
 * external broker (Mosquitto, EMQX). A board is "online" when it can hear us.
 */
export interface BusHandlers {
  /** One frame the board published on `wharf/<id>/up`. */
  frame(text: string): void;
  /** The board left (disconnected, last will, gateway lost the broker). */
  offline(reason: string): void;
}

/** Why a board frame reached no board link (counted per reason on /metrics). */
export type UnroutedReason =
  /** no configured board has that id (not in the plan, or a monitor client) */
  | 'unknown_board'
  /** a known board, but no link attached within the hold time */
  | 'not_attached'
  /** a known board, but more frames arrived before attach than the hold keeps */
  | 'hold_overflow';

export interface BoardBus {
  /** For messages: "embedded broker 127.0.0.1:1883", "broker mqtt://mosquitto:1883". */
  readonly where: string;
  isOnline(boardId: string): boolean;
  /**
   * True when the bus's idea of online is only a hint (external broker: a last will published on a
   * session takeover can say "offline" about a board that is connected). Then the transport probes
   * with a handshake now and then instead of waiting for an "online".
   */
  readonly probe: boolean;
  /**
   * Route this board's frames to `h` until the returned function is called. Frames the board sent
   * before (held by the bus, see UnroutedReason) are delivered first.
   */
  attach(boardId: string, h: BusHandlers): () => void;
  /** Publish one frame to `wharf/<id>/down`. Throws BOARD_DISCONNECTED when that cannot work. */
  publish(boardId: string, text: string): void;
  /** Calls `fn` the moment a board's session starts (it can hear us): no polling needed. */
  onOnline?(fn: (boardId: string) => void): () => void;
  /** Frames that reached no board link, by reason, since start. */
  readonly unrouted?: Readonly<Record<UnroutedReason, number>>;
}
