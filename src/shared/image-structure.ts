/**
 * Is this a whole JPEG or PNG? Structure only, no pixel decoded (cheap at any rate): a JPEG's
 * marker segments are walked to its scan and it ends with the end-of-image marker; a PNG's chunks
 * run from IHDR to an IEND that ends the bytes. The gateway checks images it did not split itself
 * (snapshot URLs, other gateways) with it, and the cloud every image at ingest, so the gateway
 * never records an image the cloud would refuse.
 */

/** Why the bytes are not a whole image of the format (null when they are). */
export function imageStructureProblem(b: Uint8Array, format: 'jpeg' | 'png'): string | null {
  if (format === 'jpeg')
    return b.length > 3 && b[0] === 0xff && b[1] === 0xd8 ? jpegBroken(b) : 'no JPEG start marker';
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  return b.length > 8 && sig.every((x, i) => b[i] === x) ? pngBroken(b) : 'no PNG signature';
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
