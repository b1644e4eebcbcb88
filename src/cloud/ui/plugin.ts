/**
 * Fastify plugin serving the web UI at `/` from the same process as the API.
 *
 * Only the application shell is public (HTML, the script and the stylesheet: no data, no
 * configuration). Every piece of data comes from `/api/v1/*`, which needs a key or the
 * `wharf_session` cookie. A strict Content-Security-Policy keeps the page from loading anything
 * from another origin.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { nullLogger, type Logger } from '../../shared/logger.js';
import { ensureUiBundle, type UiBundle } from './build.js';

export interface UiPluginOptions {
  logger?: Logger;
  /** Where the bundle lives / is built (default `<repo>/dist/ui`). */
  outDir?: string;
  /** A bundle already built (tests, or a caller that built it at start-up). */
  bundle?: UiBundle;
}

export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function send(
  reply: FastifyReply,
  req: FastifyRequest,
  body: string,
  type: string,
  etag: string,
): FastifyReply {
  reply
    .header('content-type', type)
    .header('cache-control', 'no-cache')
    .header('etag', etag)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.send(body);
}

/**
 * Registers `GET /`, `GET /ui/app.js`, `GET /ui/app.css`. Builds the bundle first when it is
 * missing or stale (about a second with esbuild).
 */
export async function uiPlugin(app: FastifyInstance, opts: UiPluginOptions = {}): Promise<void> {
  const logger = opts.logger ?? nullLogger;
  const bundle =
    opts.bundle ??
    (await ensureUiBundle({
      logger,
      ...(opts.outDir === undefined ? {} : { outDir: opts.outDir }),
    }));
  const tag = (what: string): string => `"${bundle.hash}-${what}"`;
  const page = (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    reply.header('content-security-policy', UI_CSP).header('x-frame-options', 'DENY');
    return send(reply, req, bundle.html, 'text/html; charset=utf-8', tag('html'));
  };
  // the shell is public (it holds no data); every data route needs a key (src/cloud/auth.ts)
  const pub = { config: { public: true } };
  app.get('/', pub, page);
  app.get('/index.html', pub, page);
  app.get('/ui/app.js', pub, (req, reply) =>
    send(reply, req, bundle.js, 'text/javascript; charset=utf-8', tag('js')),
  );
  app.get('/ui/app.css', pub, (req, reply) =>
    send(reply, req, bundle.css, 'text/css; charset=utf-8', tag('css')),
  );
  app.get('/favicon.ico', pub, (_req, reply) =>
    reply.code(204).header('cache-control', 'max-age=86400').send(),
  );
}

/**
 * The UI as a cloud server plugin: `buildCloudServer({ store, plugins: [cloudUi()] })`. The bundle is
 * built (or reused) before the server answers its first request.
 */
export function cloudUi(
  opts: Omit<UiPluginOptions, 'logger'> = {},
): (app: FastifyInstance, ctx: { logger: Logger }) => Promise<void> {
  return (app, ctx) => uiPlugin(app, { ...opts, logger: ctx.logger.child({ module: 'ui' }) });
}
