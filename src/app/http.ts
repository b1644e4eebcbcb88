/**
 * The gateway's small HTTP listener (`plan.gateway.http`, default 127.0.0.1:8787): `/metrics`
 * (Prometheus text), `/status` (JSON) and `/healthz`. Other parts add routes with `route()`.
 */
import type * as Http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { WharfError } from '../shared/errors.js';

/**
 * `require`, not `import`: on Node 22/24 an ESM import of `node:http` builds its namespace from every
 * export, and reading the lazy ones loads http2, tls and undici: +14 MB of RSS for a gateway
 * that needs none of them (measured: `import 'node:http'` alone 59 MB, `require` 45 MB, Node 24.21).
 */
const http = createRequire(import.meta.url)('node:http') as typeof Http;

/** What a route sees of a GET request: its URL (with the query) and headers; never a body. */
export interface RouteRequest {
  url: URL;
  headers: IncomingHttpHeaders;
}

export interface RouteAnswer {
  status?: number;
  type: string;
  body: string | Buffer;
  headers?: Record<string, string>;
}

export type RouteHandler = (req: RouteRequest) => RouteAnswer | Promise<RouteAnswer>;

export class GatewayHttp {
  private readonly routes = new Map<string, RouteHandler>();
  private server: Http.Server | undefined;

  route(path: string, handler: RouteHandler): this {
    this.routes.set(path, handler);
    return this;
  }

  /** Listen; rejects with a USAGE error naming the address when it is taken. Resolves the URL. */
  async listen(host: string, port: number): Promise<string> {
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const handler =
        req.method === 'GET' || req.method === 'HEAD' ? this.routes.get(url.pathname) : undefined;
      if (handler === undefined) {
        res
          .writeHead(404, { 'content-type': 'text/plain' })
          .end(`not found; try ${[...this.routes.keys()].join(', ')}\n`);
        return;
      }
      Promise.resolve()
        .then(() => handler({ url, headers: req.headers }))
        .then(
          (r) =>
            res
              .writeHead(r.status ?? 200, { ...r.headers, 'content-type': r.type })
              .end(req.method === 'HEAD' ? undefined : r.body),
          (err: unknown) =>
            res
              .writeHead(500, { 'content-type': 'text/plain' })
              .end(`error: ${(err as Error).message}\n`),
        );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        const hint =
          err.code === 'EADDRINUSE'
            ? 'another process uses it: stop it, or set "wharf": {"http": {"port": …}} in the config (0 = any free port)'
            : 'check wharf.http in the config';
        reject(
          new WharfError(
            'USAGE',
            `cannot listen on http://${host}:${port} (${err.code ?? err.message}): ${hint}`,
            { cause: err },
          ),
        );
      });
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const a = server.address() as AddressInfo;
    const h = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `http://${h}:${a.port}`;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
