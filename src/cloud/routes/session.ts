/** POST /api/v1/session {api_key} → cookie; GET → who am I; DELETE → log out. */
import type { FastifyInstance } from 'fastify';
import { WharfError } from '../../shared/errors.js';
import { cookieHeader, SESSION_TTL_MS } from '../auth.js';
import type { CloudContext } from '../context.js';

export async function sessionRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  app.post('/api/v1/session', { config: { public: true } }, async (req, reply) => {
    const body = req.body as { api_key?: unknown } | undefined;
    const key = typeof body?.api_key === 'string' ? body.api_key : undefined;
    if (key === undefined)
      throw new WharfError('CLOUD_BAD_REQUEST', 'send JSON {"api_key": "wharf_…"}');
    const info = await ctx.keys.verifyKey(key);
    if (info === null)
      throw new WharfError('CLOUD_AUTH', 'the API key is not valid (unknown, revoked or mistyped)');
    if (info.machine !== null)
      throw new WharfError(
        'CLOUD_FORBIDDEN',
        `key ${info.id} is machine '${info.machine}''s key (it belongs in that gateway's wharf.sync.api_key): log in with a read-only key ('wharf cloud keys create --read-only')`,
      );
    const token = ctx.signer.sign(info.id, Date.now());
    void reply.header(
      'set-cookie',
      cookieHeader(token, Math.floor(SESSION_TTL_MS / 1000), ctx.secureCookies),
    );
    return { machine: info.machine, key_id: info.id, label: info.label };
  });
  app.get('/api/v1/session', { config: { machineKey: true } }, async (req) => {
    const k = req.wharfKey!;
    return { machine: k.machine, key_id: k.id, label: k.label };
  });
  app.delete('/api/v1/session', { config: { public: true } }, async (_req, reply) => {
    void reply.header('set-cookie', cookieHeader('', 0, ctx.secureCookies));
    return reply.code(204).send();
  });
}
