/**
 * CRC-32 (IEEE 802.3, as zlib) of the capture file format's header and frames: slice-by-8 tables
 * in JS for short frames, zlib's native code for long ones.
 */
import zlib from 'node:zlib';

const CRC_TABLE = (() => {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++)
    for (let k = 1; k < 8; k++)
      t[k * 256 + n] = (t[(k - 1) * 256 + n]! >>> 8) ^ t[t[(k - 1) * 256 + n]! & 255]!;
  return t;
})();
const JS_CRC_MAX = 128;

export function crc32(b: Uint8Array, from: number, to: number): number {
  if (to - from > JS_CRC_MAX) return zlib.crc32(b.subarray(from, to));
  const T = CRC_TABLE;
  let c = -1;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    c ^= b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    c =
      T[1792 + (c & 255)]! ^
      T[1536 + ((c >>> 8) & 255)]! ^
      T[1280 + ((c >>> 16) & 255)]! ^
      T[1024 + (c >>> 24)]! ^
      T[768 + b[i + 4]!]! ^
      T[512 + b[i + 5]!]! ^
      T[256 + b[i + 6]!]! ^
      T[b[i + 7]!]!;
  }
  for (; i < to; i++) c = T[(c ^ b[i]!) & 255]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
