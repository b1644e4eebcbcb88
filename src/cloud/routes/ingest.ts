/**
 * POST /api/v1/files: body = the capture file bytes (application/octet-stream), headers
 * x-wharf-file-id and x-wharf-sha256. Answers {status: 'stored'|'already_stored', records} only
 * after the rows are durably committed. Any refusal stores nothing.
 */
import type { FastifyInstance } from 'fastify';
import { WharfError } from '../../shared/errors.js';
import { checkUpload } from '../ingest-check.js';
import type { CloudContext } from '../context.js';

const header = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[0] : v;

export async function ingestRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  await app.register(async (scoped) => {
    scoped.addContentTypeParser(
      'application/octet-stream',
      { parseAs: 'buffer', bodyLimit: ctx.maxFileBytes },
      (_req, body, done) => done(null, body),
    );
    scoped.post('/api/v1/files', { bodyLimit: ctx.maxFileBytes }, async (req, reply) => {
      try {
        if (!Buffer.isBuffer(req.body)) {
          throw new WharfError(
            'CLOUD_BAD_REQUEST',
            'send the capture file as the raw body with content-type application/octet-stream',
          );
        }
        const decode = await ctx.decoder();
        const file = checkUpload(
          req.body,
          {
            fileId: header(req.headers['x-wharf-file-id']),
            sha256: header(req.headers['x-wharf-sha256']),
          },
          req.wharfKey!,
          decode,
        );
        const result = await ctx.store.ingest(file);
        ctx.metrics.ingestFiles.inc({ status: result.status });
        if (result.status === 'stored') ctx.metrics.ingestRecords.inc(undefined, result.records);
        ctx.logger.debug(
          {
            file_id: file.file_id,
            machine: file.meta.machine,
            status: result.status,
            records: result.records,
          },
          'ingest',
        );
        return reply.code(result.status === 'stored' ? 201 : 200).send(result);
      } catch (err) {
        if (err instanceof WharfError && err.code !== 'CLOUD_STORE')
          ctx.metrics.ingestRejected.inc({ code: err.code });
        throw err;
      }
    });
  });
}
