/**
 * The constants of wire protocol v1 (docs/protocol.md), in one place for both sides: the gateway
 * imports them (messages.ts and the protocol engine), the firmware build injects this very object
 * into the board agent as `WIRE` (firmware/tools/build.ts; firmware/src sees its type through
 * `typeof import(...)`). Dependency-free and plain data, so it can be both an ES module here and an
 * ES5 object literal on the board (terser folds its fields into the code).
 */
export const WIRE = {
  /** protocol version (`v` of hello/hi) */
  v: 1,
  /** longest frame in bytes, without the newline */
  maxFrame: 1024,
  /** MQTT topics: `<root>/<board id>/<up|down|status>`, status payloads */
  topicRoot: 'wharf',
  up: 'up',
  down: 'down',
  status: 'status',
  online: 'online',
  offline: 'offline',
  /** frame types (`t`) */
  hi: 'hi',
  hello: 'hello',
  cfg: 'cfg',
  plan: 'plan',
  batch: 'b',
  read: 'read',
  val: 'val',
  ping: 'ping',
  pong: 'pong',
  gap: 'gap',
  ok: 'ok',
  err: 'err',
  repl: 'repl',
  /** gw → board: send the batches of entry `k` from sequence `s` on again (extension) */
  resend: 'rs',
  reboot: 'reboot',
  /** plan entry methods (`m`) */
  analogs: 'A',
  gpio: 'G',
  /** board-side sensors (`cfg.s`, extension): each reader is a sensor name */
  sensors: 'S',
  /** sensor models in `cfg.s` (extension): pulse counter, linear analog, chip temperature */
  pulse: 'pulse',
  linear: 'lin',
  temp: 'temp',
  /** gap reasons the board reports (`why`) */
  backlogOverflow: 'backlog_overflow',
  readError: 'read_error',
  missedTicks: 'missed_ticks',
  /** error codes (`err.code`) */
  badRequest: 'bad_request',
  unknownReader: 'unknown_reader',
  unknownPin: 'unknown_pin',
  rate: 'rate',
  busy: 'busy',
  /** cfg: the board (its interpreter) cannot do this, e.g. no E.getTemperature (extension) */
  unsupported: 'unsupported',
} as const;

export type Wire = typeof WIRE;
