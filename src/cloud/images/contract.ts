/**
 * Images in the cloud store (docs/cameras.md). An image reading's metadata is a reading row like
 * any other (`data: {image: {size, mime_type}}`), so the readings API, SQL and export see it; the
 * `images` table indexes it for the grid (by time, stream and mime type) and names its bytes by
 * SHA-256: a blob directory beside the SQLite file, a `image_blobs` bytea table in PostgreSQL.
 * An image's id is its reading's record id.
 */
import type { ImageMeta } from '../api-types.js';

/** The readings filter (store/contract.ts ReadingFilter) without `kind`, plus mime types. */
export interface ImageFilter {
  machine?: string[];
  part_id?: string[];
  component_type?: string[];
  component_name?: string[];
  method?: string[];
  /** Inclusive bounds on time_received, ms epoch. */
  from?: number;
  to?: number;
  /** Any of these tags. */
  tags?: string[];
  mime_type?: string[];
}

export type { ImageMeta };

export interface ImagePage {
  images: ImageMeta[];
  next_cursor: string | null;
}

export interface ImageQueries {
  /** Newest first (order desc) or oldest first, paged by an opaque cursor over (time_received, id). */
  listImages(
    filter: ImageFilter,
    opts: { limit: number; order: 'asc' | 'desc'; cursor?: string | null },
  ): Promise<ImagePage>;
  countImages(filter: ImageFilter): Promise<number>;
  /** Metadata and bytes of one image; null when there is no such image. */
  image(id: number): Promise<{ meta: ImageMeta; bytes: Buffer } | null>;
}

/** MIME types the cloud accepts for image readings (served back with that content type). */
export const IMAGE_MIME_TYPES = ['image/jpeg', 'image/png'] as const;

/** An image record of a file: index in the file, its metadata, its bytes. */
export interface IngestImage {
  index: number;
  time_requested: number;
  time_received: number;
  mime_type: string;
  bytes: Uint8Array;
  sha256: string;
}
