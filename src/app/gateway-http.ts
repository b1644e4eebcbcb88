/** The gateway's HTTP listener: `/metrics`, `/healthz` and `/status` (src/app/status.ts). */
import type { Metrics } from '../shared/metrics.js';
import { GatewayHttp } from './http.js';

/** Starts the listener; `status` is read at each request. */
export async function listenGatewayHttp(
  settings: { host: string; port: number },
  metrics: Metrics,
  status: () => unknown,
): Promise<{ http: GatewayHttp; url: string }> {
  const http = new GatewayHttp()
    .route('/metrics', async () => ({
      type: metrics.contentType,
      body: await metrics.render(),
    }))
    .route('/healthz', () => ({ type: 'text/plain', body: 'ok\n' }))
    .route('/status', () => ({
      type: 'application/json',
      body: `${JSON.stringify(status() ?? {}, null, 2)}\n`,
    }));
  const url = await http.listen(settings.host, settings.port);
  return { http, url };
}
