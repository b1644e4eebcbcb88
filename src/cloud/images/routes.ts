/**
 * Image routes (all need a key, like every non-public route, auth.ts):
 *   GET /api/v1/images?machine=&part_id=&component_type=&component_name=&method=&tags=&mime_type=
 *       &from=&to=&limit=(1-1000, default 60)&order=(desc|asc)&cursor=  → {images, next_cursor}
 *   GET /api/v1/images/count?…    → {count} of the images matching the same filters
 *   GET /api/v1/images/export.tar?… → the images and images.jsonl as a tar stream (export-tar.ts)
 *   GET /api/v1/images/:id        → the image bytes, with its mime type
 *   GET /api/v1/images/:id/meta   → its metadata
 *   GET /api/v1/images/:id/thumb  → a 240 px wide JPEG thumbnail (thumbs.ts)
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { WharfError } from '../../shared/errors.js';
import { parseFilter } from '../filters.js';
import type { Logger } from '../../shared/logger.js';
import type { ImageFilter, ImageQueries } from './contract.js';

/** What the image routes need of the server's context (server.ts CloudContext satisfies it). */
export interface ImageRouteContext {
  store: { images: ImageQueries };
  logger: Logger;
}
import { MAX_IMAGE_PAGE } from './query-shape.js';
import { Thumbnails } from './thumbs.js';
import { imageTar } from './export-tar.js';

type Q = Record<string, unknown>;

export function parseImageFilter(q: Q): ImageFilter {
  const { kind: _kind, ...f } = parseFilter({ ...q, kind: undefined });
  const out: ImageFilter = f;
  const m = q.mime_type;
  if (m !== undefined && m !== '') {
    out.mime_type = (Array.isArray(m) ? m : [m])
      .flatMap((x) => String(x).split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }
  return out;
}

export function parseImagePage(q: Q): {
  limit: number;
  order: 'asc' | 'desc';
  cursor: string | null;
} {
  const limit = q.limit === undefined || q.limit === '' ? 60 : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_IMAGE_PAGE)
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `limit must be an integer from 1 to ${MAX_IMAGE_PAGE} (got '${String(q.limit).slice(0, 20)}')`,
    );
  const order = q.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc')
    throw new WharfError('CLOUD_BAD_REQUEST', `order must be 'asc' or 'desc'`);
  return {
    limit,
    order,
    cursor: typeof q.cursor === 'string' && q.cursor !== '' ? q.cursor : null,
  };
}

function imageId(v: unknown): number {
  const s = String(v);
  if (!/^\d{1,15}$/.test(s))
    throw new WharfError('CLOUD_BAD_REQUEST', `image id '${s.slice(0, 20)}' is not a number`);
  return Number(s);
}

const notFound = (reply: FastifyReply, id: number) =>
  reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no image ${id}` } });

export async function imageRoutes(app: FastifyInstance, ctx: ImageRouteContext): Promise<void> {
  app.get('/api/v1/images', async (req) => {
    const q = req.query as Q;
    return ctx.store.images.listImages(parseImageFilter(q), parseImagePage(q));
  });

  app.get('/api/v1/images/count', async (req) => ({
    count: await ctx.store.images.countImages(parseImageFilter(req.query as Q)),
  }));

  app.get('/api/v1/images/export.tar', async (req, reply) => {
    const { count, stream } = await imageTar(ctx.store.images, parseImageFilter(req.query as Q));
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    stream.on('error', (err) =>
      ctx.logger.warn(
        { err: String(err) },
        'image download cut (the client sees a failed download)',
      ),
    );
    return reply
      .header('content-type', 'application/x-tar')
      .header('content-disposition', `attachment; filename="wharf-images-${stamp}.tar"`)
      .header('x-wharf-image-count', String(count))
      .header('cache-control', 'no-store')
      .send(stream);
  });

  app.get('/api/v1/images/:id/meta', async (req, reply) => {
    const id = imageId((req.params as { id: string }).id);
    const im = await ctx.store.images.image(id);
    if (im === null) return notFound(reply, id);
    return im.meta;
  });

  const thumbs = new Thumbnails(ctx.logger);
  app.get('/api/v1/images/:id/thumb', async (req, reply) => {
    const id = imageId((req.params as { id: string }).id);
    let original: { mime: string; bytes: Buffer } | undefined;
    const t = await thumbs.thumb(id, async () => {
      const im = await ctx.store.images.image(id);
      if (im !== null) original = { mime: im.meta.mime_type, bytes: im.bytes };
      return im?.bytes ?? null;
    });
    if (t === 'missing') return notFound(reply, id);
    if (t !== null && !Buffer.isBuffer(t))
      return reply.code(422).send({
        error: {
          code: 'IMAGE_UNREADABLE',
          message: `image ${id} cannot be decoded (${t.unreadable}); its bytes are served as stored by GET /api/v1/images/${id}`,
        },
      });
    if (t === null) {
      original ??= await ctx.store.images
        .image(id)
        .then((im) => (im === null ? undefined : { mime: im.meta.mime_type, bytes: im.bytes }));
      if (original === undefined) return notFound(reply, id);
    }
    return reply
      .header('content-type', t === null ? original!.mime : 'image/jpeg')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, max-age=86400, immutable')
      .send(t ?? original!.bytes);
  });

  app.get('/api/v1/images/:id', async (req, reply) => {
    const id = imageId((req.params as { id: string }).id);
    const im = await ctx.store.images.image(id);
    if (im === null) return notFound(reply, id);
    const ext = im.meta.mime_type === 'image/png' ? 'png' : 'jpg';
    return reply
      .header('content-type', im.meta.mime_type)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'")
      .header('cache-control', 'private, max-age=86400, immutable')
      .header(
        'content-disposition',
        `inline; filename="${im.meta.component_name.replace(/[^A-Za-z0-9._-]/g, '_')}-${Math.round(im.meta.time_requested)}.${ext}"`,
      )
      .send(im.bytes);
  });
}
