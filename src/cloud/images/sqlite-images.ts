/**
 * The SQLite store's images: the `images` index table in the store file, the bytes in a blob
 * directory beside it (`<file>.blobs`, blobs.ts). `add` runs inside the ingest transaction: the
 * blobs are durable before the rows naming them commit.
 */
import type Database from 'better-sqlite3';
import { WharfError } from '../../shared/errors.js';
import { encodeCursor } from '../store/common.js';
import type { StreamInfo } from '../store/contract.js';
import { FileBlobStore, MemoryBlobStore, type BlobStore } from './blobs.js';
import type { ImageFilter, ImageMeta, ImagePage, ImageQueries, IngestImage } from './contract.js';
import {
  checkImagePage,
  decodeCursor,
  imageStreams,
  shapeImage,
  type ImageRow,
} from './query-shape.js';

export const SQLITE_IMAGES_SCHEMA = `
CREATE TABLE IF NOT EXISTS images (
  id INTEGER PRIMARY KEY, -- the image reading's id (a row of records or a reading of a chunk)
  stream_id INTEGER NOT NULL REFERENCES streams(id),
  time_requested REAL NOT NULL,
  time_received REAL NOT NULL,
  mime_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL -- the bytes: <store file>.blobs/<sha256[0:2]>/<sha256>
);
CREATE INDEX IF NOT EXISTS images_time ON images (time_received, id);
CREATE INDEX IF NOT EXISTS images_stream_time ON images (stream_id, time_received, id);
`;

export class SqliteImages implements ImageQueries {
  readonly blobs: BlobStore;
  private readonly insert: Database.Statement;
  private readonly byId: Database.Statement<[number], ImageRow>;

  constructor(
    private readonly db: Database.Database,
    storePath: string,
    private readonly streams: () => Promise<StreamInfo[]>,
  ) {
    db.exec(SQLITE_IMAGES_SCHEMA);
    this.blobs =
      storePath === '' || storePath === ':memory:'
        ? new MemoryBlobStore()
        : new FileBlobStore(`${storePath}.blobs`);
    this.insert = db.prepare(
      'INSERT INTO images (id, stream_id, time_requested, time_received, mime_type, size, sha256) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.byId = db.prepare('SELECT * FROM images WHERE id = ?');
  }

  /** Inside the ingest transaction. `base` + index = the record id. */
  add(base: number, streamId: number, images: readonly IngestImage[]): void {
    this.blobs.putMany(images);
    for (const im of images) {
      this.insert.run(
        base + im.index,
        streamId,
        im.time_requested,
        im.time_received,
        im.mime_type,
        im.bytes.length,
        im.sha256,
      );
    }
  }

  private where(f: ImageFilter, streams: StreamInfo[]): { sql: string; args: unknown[] } | null {
    const ids = imageStreams(streams, f);
    if (ids !== null && ids.length === 0) return null;
    const parts: string[] = [];
    const args: unknown[] = [];
    if (ids !== null) parts.push(`stream_id IN (${ids.map(Number).join(',')})`);
    if (f.mime_type !== undefined && f.mime_type.length > 0) {
      parts.push(`mime_type IN (${f.mime_type.map(() => '?').join(',')})`);
      args.push(...f.mime_type);
    }
    if (f.from !== undefined) {
      parts.push('time_received >= ?');
      args.push(f.from);
    }
    if (f.to !== undefined) {
      parts.push('time_received <= ?');
      args.push(f.to);
    }
    return { sql: parts.length === 0 ? '1' : parts.join(' AND '), args };
  }

  async listImages(
    filter: ImageFilter,
    opts: { limit: number; order: 'asc' | 'desc'; cursor?: string | null },
  ): Promise<ImagePage> {
    checkImagePage(opts.limit);
    const streams = await this.streams();
    const w = this.where(filter, streams);
    if (w === null) return { images: [], next_cursor: null };
    const desc = opts.order === 'desc';
    let sql = `SELECT * FROM images WHERE ${w.sql}`;
    const args = [...w.args];
    if (opts.cursor) {
      const c = decodeCursor(opts.cursor);
      sql += desc
        ? ' AND (time_received < ? OR (time_received = ? AND id < ?))'
        : ' AND (time_received > ? OR (time_received = ? AND id > ?))';
      args.push(c.t, c.t, c.id);
    }
    sql += ` ORDER BY time_received ${desc ? 'DESC' : 'ASC'}, id ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
    args.push(opts.limit + 1);
    const rows = this.db.prepare<unknown[], ImageRow>(sql).all(...args);
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
    const w = this.where(filter, await this.streams());
    if (w === null) return 0;
    const r = this.db
      .prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM images WHERE ${w.sql}`)
      .get(...w.args);
    return r?.n ?? 0;
  }

  async image(id: number): Promise<{ meta: ImageMeta; bytes: Buffer } | null> {
    const r = this.byId.get(id);
    if (r === undefined) return null;
    const streams = await this.streams();
    const meta = shapeImage(
      r,
      streams.find((s) => s.id === Number(r.stream_id)),
    );
    const bytes = this.blobs.get(meta.sha256);
    if (bytes === undefined)
      throw new WharfError(
        'CLOUD_STORE',
        `image ${id}: its bytes (blob ${meta.sha256.slice(0, 12)}…) are missing from the blob directory; restore it from the backup`,
      );
    return { meta, bytes };
  }
}
