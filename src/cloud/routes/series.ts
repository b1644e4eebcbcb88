/** GET /api/v1/series?<filters>&points=N: downsampled lines and gap spans for charts. */
import type { FastifyInstance } from 'fastify';
import { parseFilter } from '../filters.js';
import { buildSeries } from '../series.js';
import type { CloudContext } from '../context.js';

export async function seriesRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  app.get('/api/v1/series', async (req) => {
    const q = req.query as Record<string, unknown>;
    const filter = parseFilter(q);
    delete filter.kind;
    const points = q.points === undefined || q.points === '' ? 500 : Number(q.points);
    return buildSeries(ctx.store, filter, points);
  });
}
