/** The image records of an ingested file (readings carrying `binary`), hashed once. */
import type { CaptureRecord } from '../../shared/record.js';
import { sha256Of } from './blobs.js';
import type { IngestImage } from './contract.js';

export function imagesOf(records: readonly CaptureRecord[]): IngestImage[] {
  const out: IngestImage[] = [];
  records.forEach((r, index) => {
    if (r.kind !== 'reading' || r.binary === undefined) return;
    const info = (r.data as { image: { mime_type: string } }).image;
    out.push({
      index,
      time_requested: r.time_requested,
      time_received: r.time_received,
      mime_type: info.mime_type,
      bytes: r.binary,
      sha256: sha256Of(r.binary),
    });
  });
  return out;
}
