/** The tunables of a protocol board (timeouts, pings, reconnect polling) and their defaults. */

export interface ProtocolBoardOptions {
  requestTimeoutMs?: number;
  helloAttempts?: number;
  syncPings?: number;
  pingIntervalMs?: number;
  maxMissedPings?: number;
  batchMs?: number;
  /** Poll interval while waiting for the link to come back; ≤ 1000 keeps resume within 2 s. */
  reconnectPollMs?: number;
  /** Reconnect by itself when the link is available again (default true). */
  autoReconnect?: boolean;
  /**
   * `lt` sent with hello/cfg/plan (firmware extension): the board counts the link as down after this
   * long without a frame from us and keeps its batches in its backlog until we are back. Must be
   * ≥ 3 × pingIntervalMs. 0 = not sent. Default 8000.
   */
  linkTimeoutMs?: number;
}

export function withDefaults(opts: ProtocolBoardOptions): Required<ProtocolBoardOptions> {
  return {
    requestTimeoutMs: opts.requestTimeoutMs ?? 2000,
    helloAttempts: opts.helloAttempts ?? 3,
    syncPings: opts.syncPings ?? 6,
    pingIntervalMs: opts.pingIntervalMs ?? 2000,
    maxMissedPings: opts.maxMissedPings ?? 3,
    batchMs: opts.batchMs ?? 100,
    reconnectPollMs: opts.reconnectPollMs ?? 250,
    autoReconnect: opts.autoReconnect ?? true,
    linkTimeoutMs: opts.linkTimeoutMs ?? 8000,
  };
}
