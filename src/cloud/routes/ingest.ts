/**
 * POST /api/v1/files: body = the capture file bytes (application/octet-stream), headers
 * x-wharf-file-id and x-wharf-sha256. Answers {status: 'stored'|'already_stored', records} only
 * after the rows are durably committed. Any refusal stores nothing. The key, its write permission
 * and the content type are checked before the body is read (`upload` in auth.ts).
 */
import type { FastifyInstance } from 'fastify';
import { WharfError } from '../../shared/errors.js';
import { checkUpload } from '../ingest-check.js';
import type { CloudContext } from '../context.js';

export const UPLOAD_TYPE = 'application/octet-stream';

const header = (v: string | string[] | undefined): string | undefined =>
  Array.isArray(v) ? v[0] : v;

export async function ingestRoutes(app: FastifyInstance, ctx: CloudContext): Promise<void> {
  await app.register(async (scoped) => {
    scoped.addContentTypeParser(
      UPLOAD_TYPE,
      { parseAs: 'buffer', bodyLimit: ctx.maxFileBytes },
      (_req, body, done) => done(null, body),
    );
    scoped.post(
      '/api/v1/files',
      { bodyLimit: ctx.maxFileBytes, config: { upload: { contentType: UPLOAD_TYPE } } },
      async (req, reply) => {
        if (!Buffer.isBuffer(req.body)) {
          throw new WharfError(
            'CLOUD_BAD_REQUEST',
            `send the capture file as the raw body with content-type ${UPLOAD_TYPE}`,
          );
        }
        const codec = await ctx.decoder();
        const file = checkUpload(
          req.body,
          {
            fileId: header(req.headers['x-wharf-file-id']),
            sha256: header(req.headers['x-wharf-sha256']),
          },
          req.wharfKey!,
          codec,
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
        return await reply.code(result.status === 'stored' ? 201 : 200).send(result);
      },
    );
  });
}
