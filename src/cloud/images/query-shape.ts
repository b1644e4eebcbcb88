/** Shared by both stores' image queries: filter checks, cursor, row → ImageMeta. */
import { WharfError } from '../../shared/errors.js';
import { decodeCursor, matchingStreamIds } from '../store/common.js';
import type { StreamInfo } from '../store/contract.js';
import type { ImageFilter, ImageMeta } from './contract.js';

export const MAX_IMAGE_PAGE = 1000;

export function checkImagePage(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_IMAGE_PAGE)
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `limit must be an integer from 1 to ${MAX_IMAGE_PAGE} (got ${limit})`,
    );
}

/** Stream ids the filter allows (null = all), [] = none. */
export function imageStreams(streams: StreamInfo[], f: ImageFilter): number[] | null {
  return matchingStreamIds(streams, f);
}

export { decodeCursor };

export interface ImageRow {
  id: number | string;
  stream_id: number | string;
  time_requested: number;
  time_received: number;
  mime_type: string;
  size: number | string;
  sha256: string;
}

export function shapeImage(r: ImageRow, s: StreamInfo | undefined): ImageMeta {
  if (s === undefined)
    throw new WharfError('CLOUD_STORE', `image ${r.id} refers to unknown stream ${r.stream_id}`);
  return {
    id: Number(r.id),
    part_id: s.part_id,
    machine: s.machine,
    component_type: s.component_type,
    component_name: s.component_name,
    method_name: s.method_name,
    tags: s.tags,
    time_requested: Number(r.time_requested),
    time_received: Number(r.time_received),
    mime_type: r.mime_type,
    size: Number(r.size),
    sha256: r.sha256,
  };
}
