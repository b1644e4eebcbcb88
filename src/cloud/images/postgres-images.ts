/**
 * The PostgreSQL store's images: the `images` index table and the bytes in `image_blobs` (bytea,
 * keyed by SHA-256) in the same database, so every replica reads them and a database backup holds
 * them (docs/cameras.md). `add` runs inside the ingest transaction of the file.
 */
import type pg from 'pg';
import { WharfError } from '../../shared/errors.js';
import { encodeCursor } from '../store/common.js';
import type { StreamInfo } from '../store/contract.js';
import type { ImageFilter, ImageMeta, ImagePage, ImageQueries, IngestImage } from './contract.js';
import {
  checkImagePage,
  decodeCursor,
  imageStreams,
  shapeImage,
  type ImageRow,
} from './query-shape.js';

export const PG_IMAGES_SCHEMA = `
CREATE TABLE IF NOT EXISTS image_blobs (
  sha256 TEXT PRIMARY KEY,
  bytes BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
  id BIGINT PRIMARY KEY, -- the image reading's record id (records is partitioned: no foreign key)
  stream_id BIGINT NOT NULL REFERENCES streams(id),
  time_requested DOUBLE PRECISION NOT NULL,
  time_received DOUBLE PRECISION NOT NULL,
  mime_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL REFERENCES image_blobs(sha256)
);
CREATE INDEX IF NOT EXISTS images_time ON images (time_received, id);
CREATE INDEX IF NOT EXISTS images_stream_time ON images (stream_id, time_received, id);
CREATE INDEX IF NOT EXISTS images_sha ON images (sha256); -- retention: is a blob still named?
`;

/**
 * Inside the ingest transaction on `c`, after the file's records are inserted; `recordIds[i]` is
 * the id of the file's record i.
 */
export async function addPgImages(
  c: pg.PoolClient,
  recordIds: readonly string[],
  streamId: string,
  images: readonly IngestImage[],
): Promise<void> {
  for (const im of images)
    await c.query(
      'INSERT INTO image_blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING',
      [im.sha256, Buffer.from(im.bytes.buffer, im.bytes.byteOffset, im.bytes.byteLength)],
    );
  await c.query(
    `INSERT INTO images (id, stream_id, time_requested, time_received, mime_type, size, sha256)
     SELECT t.id, $1, t.tq, t.tr, t.m, t.s, t.h
     FROM unnest($2::bigint[], $3::float8[], $4::float8[], $5::text[], $6::int[], $7::text[]) AS t(id, tq, tr, m, s, h)`,
    [
      streamId,
      images.map((i) => {
        const id = recordIds[i.index];
        if (id === undefined) throw new Error(`image at record ${i.index} has no record id`);
        return id;
      }),
      images.map((i) => i.time_requested),
      images.map((i) => i.time_received),
      images.map((i) => i.mime_type),
      images.map((i) => i.bytes.length),
      images.map((i) => i.sha256),
    ],
  );
}

export class PgImages implements ImageQueries {
  constructor(
    private readonly pool: pg.Pool,
    private readonly streams: () => Promise<StreamInfo[]>,
  ) {}

  private where(f: ImageFilter, streams: StreamInfo[], args: unknown[]): string | null {
    const ids = imageStreams(streams, f);
    if (ids !== null && ids.length === 0) return null;
    const parts: string[] = [];
    if (ids !== null) {
      args.push(ids);
      parts.push(`stream_id = ANY($${args.length}::bigint[])`);
    }
    if (f.mime_type !== undefined && f.mime_type.length > 0) {
      args.push(f.mime_type);
      parts.push(`mime_type = ANY($${args.length}::text[])`);
    }
    if (f.from !== undefined) {
      args.push(f.from);
      parts.push(`time_received >= $${args.length}`);
    }
    if (f.to !== undefined) {
      args.push(f.to);
      parts.push(`time_received <= $${args.length}`);
    }
    return parts.length === 0 ? 'TRUE' : parts.join(' AND ');
  }

  async listImages(
    filter: ImageFilter,
    opts: { limit: number; order: 'asc' | 'desc'; cursor?: string | null },
  ): Promise<ImagePage> {
    checkImagePage(opts.limit);
    const streams = await this.streams();
    const args: unknown[] = [];
    const w = this.where(filter, streams, args);
    if (w === null) return { images: [], next_cursor: null };
    const desc = opts.order === 'desc';
    let sql = `SELECT id, stream_id, time_requested, time_received, mime_type, size, sha256 FROM images WHERE ${w}`;
    if (opts.cursor) {
      const c = decodeCursor(opts.cursor);
      args.push(c.t, c.id);
      const t = `$${args.length - 1}`;
      const id = `$${args.length}`;
      sql += desc
        ? ` AND (time_received, id) < (${t}, ${id})`
        : ` AND (time_received, id) > (${t}, ${id})`;
    }
    args.push(opts.limit + 1);
    sql += ` ORDER BY time_received ${desc ? 'DESC' : 'ASC'}, id ${desc ? 'DESC' : 'ASC'} LIMIT $${args.length}`;
    const rows = (await this.pool.query<ImageRow>(sql, args)).rows;
    const byId = new Map(streams.map((s) => [s.id, s]));
    const page = rows.slice(0, opts.limit).map((r) => shapeImage(r, byId.get(Number(r.stream_id))));
    const last = page.at(-1);
    return {
      images: page,
      next_cursor:
        rows.length > opts.limit && last !== undefined
          ? encodeCursor({ t: last.time_received, id: last.id })
          : null,
    };
  }

  async countImages(filter: ImageFilter): Promise<number> {
    const args: unknown[] = [];
    const w = this.where(filter, await this.streams(), args);
    if (w === null) return 0;
    const r = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM images WHERE ${w}`,
      args,
    );
    return Number(r.rows[0]?.n ?? 0);
  }

  async image(id: number): Promise<{ meta: ImageMeta; bytes: Buffer } | null> {
    if (!Number.isSafeInteger(id) || id < 0) return null;
    const r = await this.pool.query<ImageRow & { bytes: Buffer | null }>(
      `SELECT i.id, i.stream_id, i.time_requested, i.time_received, i.mime_type, i.size, i.sha256, b.bytes
       FROM images i LEFT JOIN image_blobs b ON b.sha256 = i.sha256 WHERE i.id = $1`,
      [id],
    );
    const row = r.rows[0];
    if (row === undefined) return null;
    const streams = await this.streams();
    const meta = shapeImage(
      row,
      streams.find((s) => s.id === Number(row.stream_id)),
    );
    if (row.bytes === null)
      throw new WharfError('CLOUD_STORE', `image ${id}: its bytes are missing from image_blobs`);
    return { meta, bytes: row.bytes };
  }
}
