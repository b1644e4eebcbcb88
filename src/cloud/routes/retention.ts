/**
 * GET /api/v1/retention (any key): the machines' retention policies and what retention removed,
 * newest first (docs/fleet.md#retention). Part of every cloud server, so the web UI can always
 * ask; setting a policy and the enforcement loop are in src/cloud/retention/plugin.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { CloudContext } from '../context.js';

export async function retentionRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  app.get('/api/v1/retention', async (req: FastifyRequest) => {
    const q = req.query as { limit?: string };
    const limit = Math.max(1, Math.min(1000, Number(q.limit ?? 100) || 100));
    return {
      policies: await ctx.store.retention.policies(),
      events: await ctx.store.retention.events(limit),
    };
  });
}
