/**
 * Checks of an image reading at ingest: the bytes travel in `binary`, the metadata in
 * `data: {image: {size, mime_type}}`; both must agree, the type must be one the cloud serves, and
 * the bytes must be a whole image of that type (so the cloud never serves, say, HTML labelled
 * image/jpeg, nor half an image): a JPEG's marker segments are walked to its scan and it ends with
 * EOI; a PNG's chunks are walked from IHDR to an IEND that ends the bytes. Structure only: no pixel
 * is decoded (cheap at any rate).
 */
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
  const broken = im.mime_type === 'image/jpeg' ? jpegBroken(b) : pngBroken(b);
  return broken === null ? null : `the image bytes are not a whole ${im.mime_type}: ${broken}`;
}

/** Why a JPEG is not whole (null when its structure is). */
function jpegBroken(b: Uint8Array): string | null {
  const u16 = (i: number) => (b[i]! << 8) | b[i + 1]!;
  let i = 2;
  for (;;) {
    if (i + 4 > b.length) return 'it ends before its image data (cut short)';
    if (b[i] !== 0xff) return `no marker at byte ${i}`;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++;
      continue;
    }
    if (m === 0xd9) return 'it ends before its image data';
    const len = u16(i + 2);
    if (len < 2 || i + 2 + len > b.length) return `segment at byte ${i} runs past the end`;
    i += 2 + len;
    if (m === 0xda) break;
  }
  if (b.length < i + 2 || b[b.length - 2] !== 0xff || b[b.length - 1] !== 0xd9)
    return 'no end of image marker (cut short)';
  return null;
}

/** Why a PNG is not whole (null when its structure is). */
function pngBroken(b: Uint8Array): string | null {
  const u32 = (i: number) =>
    ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  const type = (i: number) => String.fromCharCode(b[i]!, b[i + 1]!, b[i + 2]!, b[i + 3]!);
  let i = 8;
  for (let n = 0; ; n++) {
    if (i + 12 > b.length) return 'it ends inside a chunk (cut short)';
    const len = u32(i);
    const t = type(i + 4);
    if (n === 0 && t !== 'IHDR') return 'the first chunk is not IHDR';
    if (i + 12 + len > b.length) return `chunk ${t} runs past the end (cut short)`;
    i += 12 + len;
    if (t === 'IEND') return i === b.length ? null : `${b.length - i} bytes after IEND`;
  }
}
