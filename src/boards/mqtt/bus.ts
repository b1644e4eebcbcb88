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
  /** Route this board's frames to `h` until the returned function is called. */
  attach(boardId: string, h: BusHandlers): () => void;
  /** Publish one frame to `wharf/<id>/down`. Throws BOARD_DISCONNECTED when that cannot work. */
  publish(boardId: string, text: string): void;
}
