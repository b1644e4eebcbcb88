/**
 * The gateway's HTTP listener: `/metrics`, `/healthz`, `/status` (src/app/status.ts) and, when
 * `wharf.serve_cameras` is set, `/camera/frame` (src/app/camera-serve.ts).
 */
import type { Metrics } from '../shared/metrics.js';
import { GatewayHttp } from './http.js';

/** Starts the listener; `status` is read at each request; `more` adds routes (the camera frame). */
export async function listenGatewayHttp(
  settings: { host: string; port: number },
  metrics: Metrics,
  status: () => unknown,
  more: (http: GatewayHttp) => GatewayHttp = (h) => h,
): Promise<{ http: GatewayHttp; url: string }> {
  const base = new GatewayHttp()
    .route('/metrics', async () => ({
      type: metrics.contentType,
      body: await metrics.render(),
    }))
    .route('/healthz', () => ({ type: 'text/plain', body: 'ok\n' }))
    .route('/status', () => ({
      type: 'application/json',
      body: `${JSON.stringify(status() ?? {}, null, 2)}\n`,
    }));
  const http = more(base);
  const url = await http.listen(settings.host, settings.port);
  return { http, url };
}
