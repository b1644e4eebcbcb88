/**
 * The wharf cloud HTTP API. `buildCloudServer` returns a ready-to-listen fastify instance (it never
 * listens itself: `wharf cloud serve` calls `listen`, tests use `inject` or port 0).
 * Routes: see docs/cloud.md. Errors answer `{error: {code, message}}`.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { WharfError, errorMessage, isWharfError } from '../shared/errors.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import { routeAuth, SessionSigner, type RouteEntry } from './auth.js';
import { defaultCodec, type CaptureCodec, type CaptureDecoder } from './ingest-check.js';
import { cloudMetrics, type CloudMetrics } from './metrics.js';
import type { CloudContext, CloudPlugin } from './context.js';
import { EXPORT_IDLE_MS, exportRoutes } from './routes/export.js';
import { SQL_DEFAULT_CONCURRENCY, SqlSlots } from './sql-slots.js';
import { imageRoutes } from './images/routes.js';
import { retentionRoutes } from './routes/retention.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { readingRoutes } from './routes/readings.js';
import { sessionRoutes } from './routes/session.js';
import { sqlRoutes } from './routes/sql.js';
import type { CloudStore, KeyStore } from './store/contract.js';

export interface CloudServerOptions {
  store: CloudStore;
  /** Defaults to the store (both stores keep the keys too). */
  keys?: KeyStore;
  logger?: Logger;
  metrics?: CloudMetrics;
  /** Capture file decoder; defaults to src/capture/file-format.ts. */
  decode?: CaptureDecoder;
  /** Largest accepted upload (default 16 MiB; capture files default to 256 KiB). The file is decoded in memory, so this bounds memory per request. */
  maxFileBytes?: number;
  /** SQL statement timeout (default 10 s). */
  sqlTimeoutMs?: number;
  /** SQL statements (POST /api/v1/sql, SQL exports) running at once; more answer 429 (default 4). */
  maxSqlStatements?: number;
  /** Filtered exports (no row limit) running at once; more answer 429 (default 8). */
  maxExports?: number;
  /** A download whose client takes nothing for this long is cut (default 60 s, ≥ the SQL timeout). */
  exportIdleMs?: number;
  /** Secret that signs session cookies; random per process when absent (sessions end on restart). */
  sessionSecret?: string;
  /**
   * Longest time to receive a whole request, headers and body (default 300 s, node's own default,
   * which fastify turns off): a client that sends part of a body and then nothing would otherwise
   * hold its connection for ever, keyless on the public login route or after a 401.
   */
  requestTimeoutMs?: number;
  /** Mark cookies `Secure` (set when serving HTTPS). */
  secureCookies?: boolean;
  /** Extra route groups, e.g. the web UI: `plugins: [(app) => uiPlugin(app)]`. */
  plugins?: CloudPlugin[];
}

export type { CloudContext, CloudPlugin } from './context.js';

/** Largest request body outside uploads (JSON: SQL, login, fleet config). */
const JSON_BODY_LIMIT = 1024 * 1024;

const STATUS: Partial<Record<string, number>> = {
  CLOUD_AUTH: 401,
  CLOUD_FORBIDDEN: 403,
  CLOUD_NOT_FOUND: 404,
  CLOUD_BAD_REQUEST: 400,
  CLOUD_SQL_REFUSED: 400,
  CLOUD_SQL_LIMIT: 400,
  CLOUD_SQL_BUSY: 429,
  CLOUD_INGEST_REJECTED: 422,
  CLOUD_UNSUPPORTED_MEDIA: 415,
  USAGE: 400,
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, with how it is guarded (public, key, upload). */
    wharfRoutes: readonly RouteEntry[];
  }
}

export async function buildCloudServer(opts: CloudServerOptions): Promise<FastifyInstance> {
  const logger = opts.logger ?? nullLogger;
  let decoder: Promise<CaptureCodec> | undefined =
    opts.decode === undefined ? undefined : Promise.resolve({ decode: opts.decode });
  const ctx: CloudContext = {
    store: opts.store,
    keys: opts.keys ?? opts.store,
    logger,
    metrics: opts.metrics ?? cloudMetrics(),
    signer: new SessionSigner(
      opts.sessionSecret === undefined ? randomBytes(32) : Buffer.from(opts.sessionSecret),
    ),
    decoder: () => (decoder ??= defaultCodec()),
    maxFileBytes: opts.maxFileBytes ?? 16 * 1024 * 1024,
    sqlTimeoutMs: opts.sqlTimeoutMs ?? 10_000,
    sqlSlots: new SqlSlots(opts.maxSqlStatements ?? SQL_DEFAULT_CONCURRENCY),
    exportSlots: new SqlSlots(opts.maxExports ?? 8, 'filtered exports'),
    exportIdleMs: opts.exportIdleMs ?? EXPORT_IDLE_MS,
    secureCookies: opts.secureCookies ?? false,
  };
  const requestTimeoutMs = opts.requestTimeoutMs ?? 300_000;
  const app = Fastify({
    logger: false,
    bodyLimit: JSON_BODY_LIMIT,
    requestTimeout: requestTimeoutMs,
    // node looks for requests past their timeout this often (its default, 30 s, is too coarse
    // for short timeouts), and node swaps the two timeouts when headers may take longer than the
    // whole request
    http: {
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, requestTimeoutMs / 4)),
      headersTimeout: Math.min(60_000, requestTimeoutMs),
    },
    forceCloseConnections: true,
    // a path that cannot be decoded (broken %-escape) never reaches a route: 400, our error shape
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply)
        .code(400)
        .send({ error: { code: err.code, message: err.message } });
    },
  });
  // bodies are JSON (or a capture file, ingest.ts): any other content type answers 415
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('wharfKey', null);
  // deny by default: every route registered from here on needs a key unless it says it is public
  const routes: RouteEntry[] = [];
  app.decorate('wharfRoutes', routes);
  app.addHook('onRoute', routeAuth(ctx.keys, ctx.signer, routes));
  app.setErrorHandler((err: FastifyError | WharfError, req, reply) => {
    const status = isWharfError(err)
      ? (STATUS[err.code] ?? 500)
      : typeof err.statusCode === 'number'
        ? err.statusCode
        : 500;
    if (status === 401) ctx.metrics.authFailures.inc();
    // uploads refused, before (auth hook, body limit) or after the body was read
    if (req.routeOptions.config?.upload !== undefined && status < 500)
      ctx.metrics.ingestRejected.inc({
        code: isWharfError(err) ? err.code : (err.code ?? 'INTERNAL'),
      });
    if (status >= 500)
      logger.error({ err: errorMessage(err), url: req.url.split('?')[0] }, 'cloud request failed');
    const code = isWharfError(err) ? err.code : (err.code ?? 'INTERNAL');
    let message = errorMessage(err);
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      message =
        req.routeOptions.config?.upload !== undefined
          ? `the body is larger than the limit of ${ctx.maxFileBytes} bytes: split the capture file (maximum_capture_file_size_bytes) or raise the cloud's limit (--max-file-mb)`
          : `the body is larger than this route's limit of ${req.routeOptions.bodyLimit ?? JSON_BODY_LIMIT} bytes`;
    const details = isWharfError(err) && status < 500 ? err.details : undefined;
    void reply
      .code(status)
      .send({ error: { code, message, ...(details === undefined ? {} : { details }) } });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` },
    });
  });
  await healthRoutes(app, ctx);
  await sessionRoutes(app, ctx);
  await ingestRoutes(app, ctx);
  await readingRoutes(app, ctx);
  await sqlRoutes(app, ctx);
  await exportRoutes(app, ctx);
  await imageRoutes(app, ctx);
  await retentionRoutes(app, ctx);
  for (const plugin of opts.plugins ?? []) await plugin(app, ctx);
  return app;
}
