/** The image views' API: the image index, its count, the blobs and the tar download. */
import type { ImageMeta } from '../../api-types.js';
import { call } from './api-http.js';

export async function images(
  params: URLSearchParams,
  signal?: AbortSignal,
): Promise<{ images: ImageMeta[]; next_cursor: string | null }> {
  const res = await call<{ images?: ImageMeta[]; next_cursor?: string | null }>(
    'GET',
    `/api/v1/images?${params}`,
    undefined,
    signal ? { signal } : {},
  );
  return { images: res.images ?? [], next_cursor: res.next_cursor ?? null };
}

/** Images matching a filter (the same parameters as `images`). */
export async function imageCount(params: URLSearchParams, signal?: AbortSignal): Promise<number> {
  const res = await call<{ count?: number }>(
    'GET',
    `/api/v1/images/count?${params}`,
    undefined,
    signal ? { signal } : {},
  );
  return res.count ?? 0;
}

/** At most this many images in one download (the server's EXPORT_MAX_IMAGES, export-tar.ts). */
export const IMAGE_DOWNLOAD_MAX = 10_000;

/** The tar of a filter's images and their images.jsonl (GET /api/v1/images/export.tar). */
export const imageExportUrl = (params: URLSearchParams): string =>
  `/api/v1/images/export.tar?${params}`;

export const imageUrl = (id: number): string => `/api/v1/images/${encodeURIComponent(id)}`;
export const thumbUrl = (id: number): string => `${imageUrl(id)}/thumb`;
