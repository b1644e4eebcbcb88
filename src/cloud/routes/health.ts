/** GET /api/v1/health (public) and GET /metrics (public: counters only, no data). */
import type { FastifyInstance } from 'fastify';
import type { CloudContext } from '../context.js';

export async function healthRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  app.get('/api/v1/health', { config: { public: true } }, async () => {
    const totals = await ctx.store.totals();
    return { ok: true, store: ctx.store.kind, files: totals.files, records: totals.records };
  });
  app.get('/metrics', { config: { public: true } }, async (_req, reply) => {
    const totals = await ctx.store.totals();
    ctx.metrics.registry
      .gauge('wharf_cloud_store_records', 'Records in the store')
      .set(undefined, totals.records);
    ctx.metrics.registry
      .gauge('wharf_cloud_store_files', 'Capture files in the store')
      .set(undefined, totals.files);
    const text = await ctx.metrics.registry.render();
    return reply.header('content-type', ctx.metrics.registry.contentType).send(text);
  });
}
