/**
 * The embedded MQTT broker (aedes) the gateway runs by default.
 *
 *  - authenticate: username = board id (= the remote's name), password = the remote's `secret`,
 *    client id = username (so no board can take over another board's session).
 *  - authorizePublish: a board may publish only `wharf/<own id>/up` and `wharf/<own id>/status`;
 *    anything else disconnects it (MQTT 3.1.1 has no way to refuse a single publish).
 *  - authorizeSubscribe: a board may subscribe only `wharf/<own id>/down`; other subscriptions
 *    are refused (SUBACK 128). Only the gateway (in-process, no client) publishes to `…/down`.
 *  - status: `wharf/<id>/status` retained `online` when the board subscribed, `offline` when it
 *    left; a board's own last will (retained `offline`) works as usual.
 *  - QoS 0 board traffic is never queued for offline clients; `queueLimit` caps what a connecting
 *    client may queue before its session is up; a stuck client is dropped after `drainTimeout`.
 *  - TLS: with `tls: {cert, key}` (PEM file paths or PEM text) the listener speaks MQTT over TLS.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { Metrics } from '../../shared/metrics.js';
import { AedesBus } from './aedes-bus.js';
import { RefusalLog } from './refusal-log.js';
import { parseTopic, statusTopic, upTopic, validBoardTopicId } from './topics.js';

export interface BrokerBoard {
  id: string;
  secret: string;
}

export interface EmbeddedBrokerOptions {
  host: string;
  /** 0 = any free port (tests). */
  port: number;
  tls?: { cert: string; key: string };
  boards: BrokerBoard[];
  /** Optional read-only account (operators, dashboards): may subscribe wharf/+/status and wharf/+/up, never publish. */
  monitor?: { username: string; password: string };
  logger: Logger;
  /** Registry for `wharf_mqtt_refused_total{reason}` (the gateway's /metrics). */
  metrics?: Metrics;
  /** Rate limit of the refusal log: per client address and reason, `burst` lines per `intervalMs`. */
  refusalLog?: { burst?: number; intervalMs?: number };
  queueLimit?: number;
  drainTimeoutMs?: number;
}

export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly url: string;
  readonly bus: AedesBus;
  readonly aedes: Aedes;
  /** Replace the accepted boards (live config); clients of removed or re-keyed boards are kicked. */
  setBoards(boards: BrokerBoard[]): void;
  readonly stats: { authFailures: number; deniedPublishes: number; deniedSubscribes: number };
  close(): Promise<void>;
}

const digest = (s: string | Buffer) => createHash('sha256').update(s).digest();
const pem = (x: string) => (x.includes('-----BEGIN') ? x : readFileSync(x, 'utf8'));

function authError(code: 2 | 4 | 5, msg: string): AuthenticateError {
  const e = new Error(msg) as AuthenticateError;
  e.returnCode = code as AuthenticateError['returnCode'];
  return e;
}

export async function startEmbeddedBroker(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = o.logger;
  let secrets = new Map<string, Buffer>();
  const setSecrets = (boards: BrokerBoard[]) => {
    const next = new Map<string, Buffer>();
    for (const b of boards) {
      if (!validBoardTopicId(b.id))
        throw new WharfError(
          'CONFIG_INVALID',
          `board id '${b.id}' cannot be an MQTT topic level (no '/', '+', '#', at most 64 characters)`,
        );
      next.set(b.id, digest(b.secret));
    }
    secrets = next;
  };
  setSecrets(o.boards);
  const clientBoard = new WeakMap<Client, string>();
  const monitors = new WeakSet<Client>();
  const monitor =
    o.monitor === undefined
      ? undefined
      : { user: o.monitor.username, pass: digest(o.monitor.password) };
  const stats = { authFailures: 0, deniedPublishes: 0, deniedSubscribes: 0 };
  const refusals = new RefusalLog({
    logger: log,
    ...(o.metrics === undefined ? {} : { metrics: o.metrics }),
    ...(o.refusalLog ?? {}),
  });
  const isBoard = (id: string) => secrets.has(id);
  const addressOf = (client: Client): string => {
    const conn = (client as { conn?: { remoteAddress?: string; remotePort?: number } }).conn;
    return conn?.remoteAddress ?? 'unknown';
  };
  /** What a client named itself, printable only when it is a board id (never a typed-in password). */
  const named = (client: Client, username: string | undefined) => {
    const out: Record<string, unknown> = {
      username: RefusalLog.shown(username, isBoard),
      clientId: RefusalLog.shown(client.id, isBoard),
    };
    const like = isBoard(username ?? '')
      ? undefined
      : RefusalLog.resembles(username, secrets.keys());
    if (like !== undefined) out.usernameResembles = like;
    return out;
  };

  const aedes = await Aedes.createBroker({
    queueLimit: o.queueLimit ?? 42,
    drainTimeout: o.drainTimeoutMs ?? 10_000,
    heartbeatInterval: 60_000,
  });
  aedes.authenticate = (client, username, password, done) => {
    if (
      monitor !== undefined &&
      username === monitor.user &&
      password !== undefined &&
      timingSafeEqual(monitor.pass, digest(password))
    ) {
      monitors.add(client);
      return done(null, true);
    }
    const want = username === undefined ? undefined : secrets.get(username);
    const ok =
      want !== undefined && password !== undefined && timingSafeEqual(want, digest(password));
    if (!ok) {
      stats.authFailures++;
      const unknown = want === undefined;
      refusals.refuse(
        unknown ? 'unknown_board' : 'bad_credentials',
        addressOf(client),
        named(client, username),
        unknown
          ? 'MQTT client refused: the username is not a configured board id'
          : 'MQTT client refused: wrong secret for this board',
      );
      return done(authError(4, 'bad username or password'), false);
    }
    if (client.id !== username) {
      stats.authFailures++;
      refusals.refuse(
        'client_id_mismatch',
        addressOf(client),
        named(client, username),
        'MQTT client refused: client id must equal the board id',
      );
      return done(authError(2, 'client id must equal the username (board id)'), false);
    }
    clientBoard.set(client, username!);
    done(null, true);
  };
  aedes.authorizePublish = (client, packet, cb) => {
    if (client === null) return cb(null); // the broker itself
    const id = clientBoard.get(client);
    if (id !== undefined && (packet.topic === upTopic(id) || packet.topic === statusTopic(id)))
      return cb(null);
    stats.deniedPublishes++;
    refusals.refuse(
      'forbidden_publish',
      addressOf(client),
      { board: id ?? null, topic: packet.topic.slice(0, 120) },
      'MQTT publish outside the board’s own topics refused; client disconnected',
    );
    cb(new Error(`board ${id ?? '?'} may not publish to ${packet.topic}`));
  };
  aedes.authorizeSubscribe = (client, sub, cb) => {
    const id = clientBoard.get(client);
    const t = parseTopic(sub.topic);
    if (
      monitors.has(client) &&
      t !== undefined &&
      t.id === '+' &&
      (t.leaf === 'status' || t.leaf === 'up')
    )
      return cb(null, sub);
    if (id !== undefined && t !== undefined && t.id === id && t.leaf === 'down')
      return cb(null, sub);
    stats.deniedSubscribes++;
    refusals.refuse(
      'forbidden_subscribe',
      addressOf(client),
      { board: id ?? null, topic: sub.topic.slice(0, 120) },
      'MQTT subscription outside the board’s own down topic refused',
    );
    cb(null, null);
  };
  aedes.on('clientError', (client, err) =>
    log.debug({ clientId: client.id, err: errorMessage(err) }, 'MQTT client error'),
  );
  aedes.on('connectionError', (client, err) =>
    log.debug({ clientId: client.id, err: errorMessage(err) }, 'MQTT connection error'),
  );

  const tls = o.tls !== undefined;
  let server: Server;
  try {
    server =
      o.tls !== undefined
        ? createTlsServer({ cert: pem(o.tls.cert), key: pem(o.tls.key) }, aedes.handle)
        : createServer(aedes.handle);
  } catch (err) {
    aedes.close();
    refusals.close();
    throw new WharfError(
      'CONFIG_INVALID',
      `embedded MQTT broker: cannot load the TLS certificate/key (${errorMessage(err)}); check wharf.broker.tls.cert and .key`,
      { cause: err },
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      aedes.close();
      refusals.close();
      reject(
        new WharfError(
          'CONFIG_INVALID',
          `embedded MQTT broker cannot listen on ${o.host}:${o.port}: ${err.code ?? err.message}${err.code === 'EADDRINUSE' ? ' (another broker running? set wharf.broker.port, or point wharf.broker.url at that broker)' : ''}`,
          { cause: err },
        ),
      );
    });
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  const where = `embedded broker ${o.host}:${port}`;
  // Monitors connected now: while one is, boards' up frames take aedes's full publish path.
  const liveMonitors = new Set<Client>();
  aedes.on('client', (c) => void (monitors.has(c) && liveMonitors.add(c)));
  aedes.on('clientDisconnect', (c) => void liveMonitors.delete(c));
  const bus = new AedesBus(
    aedes,
    where,
    (c) => clientBoard.get(c),
    () => liveMonitors.size > 0,
  );
  log.info({ host: o.host, port, tls, boards: secrets.size }, 'embedded MQTT broker listening');

  return {
    host: o.host,
    port,
    tls,
    url: `${tls ? 'mqtts' : 'mqtt'}://${o.host}:${port}`,
    bus,
    aedes,
    stats,
    setBoards(boards) {
      const before = secrets;
      setSecrets(boards);
      for (const [id, d] of before) {
        const now = secrets.get(id);
        if (now === undefined || !timingSafeEqual(now, d)) bus.kick(id);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        bus.close();
        refusals.close();
        server.close(() => resolve());
        aedes.close();
      }),
  };
}
