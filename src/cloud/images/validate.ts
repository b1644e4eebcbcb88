/**
 * Checks of an image reading at ingest: the bytes travel in `binary`, the metadata in
 * `data: {image: {size, mime_type}}`; both must agree, the type must be one the cloud serves, and
 * the bytes must be a whole image of that type (so the cloud never serves, say, HTML labelled
 * image/jpeg, nor half an image): a JPEG's marker segments are walked to its scan and it ends with
 * EOI; a PNG's chunks are walked from IHDR to an IEND that ends the bytes. Structure only: no pixel
 * is decoded (cheap at any rate).
 */
import { imageStructureProblem } from '../../shared/image-structure.js';
import { IMAGE_MIME_TYPES } from './contract.js';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the reading claims to be an image (carries bytes or image metadata). */
export function isImageReading(r: Record<string, unknown>): boolean {
  if (r.binary !== undefined) return true;
  const d = r.data as Record<string, unknown> | undefined;
  const im = d?.image as Record<string, unknown> | undefined;
  return im !== null && typeof im === 'object' && 'mime_type' in im;
}

/** Why the image reading cannot be stored (null when it is fine). */
export function imageProblem(r: Record<string, unknown>): string | null {
  const b = r.binary;
  if (!(b instanceof Uint8Array)) return 'an image reading without its bytes (binary)';
  const d = r.data as Record<string, unknown>;
  const keys = Object.keys(d);
  const im = d.image as Record<string, unknown> | undefined;
  if (keys.length !== 1 || im === undefined || im === null || typeof im !== 'object')
    return "an image reading's data must be exactly {image: {size, mime_type}}";
  if (!(IMAGE_MIME_TYPES as readonly string[]).includes(String(im.mime_type)))
    return `image mime_type ${JSON.stringify(im.mime_type)} is not one of ${IMAGE_MIME_TYPES.join(', ')}`;
  if (im.size !== b.length)
    return `image size ${JSON.stringify(im.size)} does not match its ${b.length} bytes`;
  const jpeg = b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
  const png = b.length > 8 && PNG.every((x, i) => b[i] === x);
  if (im.mime_type === 'image/jpeg' ? !jpeg : !png)
    return `the image bytes are not ${String(im.mime_type)}`;
  const broken = imageStructureProblem(b, im.mime_type === 'image/jpeg' ? 'jpeg' : 'png');
  return broken === null ? null : `the image bytes are not a whole ${im.mime_type}: ${broken}`;
}
