/**
 * Splits ffmpeg's image2pipe output (concatenated JPEG or PNG images on stdout) into whole images.
 * JPEG: the marker segments are walked (lengths skipped) up to SOS, then the entropy-coded data is
 * scanned for the EOI marker (0xFF bytes in it are stuffed, so FF D9 there is the end). PNG: the
 * chunks are walked to IEND. Bytes that do not start an image are a framing error (`onError`), the
 * splitter skips to the next start marker: a damaged image is never handed out.
 */

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** An image larger than this is treated as damage. */
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024 - 1024;

export type ImageFormat = 'jpeg' | 'png';

export class FrameSplitter {
  /** The bytes not handed out yet: `store[start, end)`; the store grows by doubling (no quadratic concat). */
  private store: Buffer = Buffer.alloc(64 * 1024);
  private start = 0;
  private end = 0;
  /** JPEG: where the entropy-coded scan for EOI resumes (relative to start), 0 = from the top. */
  private scanFrom = 0;

  private get buf(): Buffer {
    return this.store.subarray(this.start, this.end);
  }

  private set buf(b: Buffer) {
    // only ever set to a suffix of the current bytes, or to empty
    if (b.length === 0) {
      this.start = this.end = 0;
    } else this.start = this.end - b.length;
    this.scanFrom = 0;
  }

  private append(chunk: Buffer): void {
    if (this.start > 0 && this.end + chunk.length > this.store.length) {
      this.store.copy(this.store, 0, this.start, this.end);
      this.end -= this.start;
      this.start = 0;
    }
    if (this.end + chunk.length > this.store.length) {
      let size = this.store.length * 2;
      while (size < this.end + chunk.length) size *= 2;
      const next = Buffer.alloc(size);
      this.store.copy(next, 0, 0, this.end);
      this.store = next;
    }
    chunk.copy(this.store, this.end);
    this.end += chunk.length;
  }

  constructor(
    private readonly format: ImageFormat,
    private readonly onImage: (img: Buffer) => void,
    private readonly onError: (why: string) => void,
  ) {}

  /** After an oversized image was dropped: its remaining bytes are skipped up to the next start
   * marker silently (the drop was reported once, not once per chunk of its tail). */
  private skippingOversize = false;

  push(chunk: Buffer): void {
    this.append(chunk);
    if (this.skippingOversize && !this.skipOversizeTail()) return;
    for (;;) {
      const end = this.format === 'jpeg' ? this.jpegEnd() : this.pngEnd();
      if (end === 'resync') {
        this.resync();
        continue;
      }
      if (end === undefined) {
        if (this.buf.length > MAX_IMAGE_BYTES) {
          this.onError(
            `an image is larger than ${MAX_IMAGE_BYTES} bytes (the most one record holds); dropped: set width_px/height_px smaller, or capture image/jpeg`,
          );
          this.buf = this.buf.subarray(1);
          this.skippingOversize = true;
          if (!this.skipOversizeTail()) return;
          continue;
        }
        return;
      }
      const img = Buffer.from(this.buf.subarray(0, end)); // own copy: the rest is reused
      this.buf = this.buf.subarray(end);
      this.onImage(img);
    }
  }

  /** Bytes buffered that are not a whole image yet. */
  get pending(): number {
    return this.buf.length;
  }

  /** Skips the tail of a dropped oversized image; true once the next image starts in the buffer. */
  private skipOversizeTail(): boolean {
    const marker = this.startMarker();
    const at = this.buf.indexOf(marker);
    if (at >= 0) {
      this.buf = this.buf.subarray(at);
      this.skippingOversize = false;
      return true;
    }
    // keep what could be the beginning of a marker cut by the chunk boundary
    const keep = Math.min(this.buf.length, marker.length - 1);
    this.buf = keep === 0 ? Buffer.alloc(0) : this.buf.subarray(this.buf.length - keep);
    return false;
  }

  private startMarker(): Buffer {
    return this.format === 'jpeg' ? Buffer.from([0xff, 0xd8, 0xff]) : PNG_SIG;
  }

  /** Drop bytes up to the next start marker. */
  private resync(): void {
    const at = this.buf.indexOf(this.startMarker(), 1);
    const dropped = at < 0 ? this.buf.length : at;
    this.onError(`${dropped} bytes of ffmpeg output are not a ${this.format} image; skipped`);
    this.buf = at < 0 ? Buffer.alloc(0) : this.buf.subarray(at);
  }

  /** End offset of the first JPEG, undefined when incomplete, 'resync' when not a JPEG. */
  private jpegEnd(): number | undefined | 'resync' {
    const b = this.buf;
    if (b.length < 2) return undefined;
    if (b[0] !== 0xff || b[1] !== 0xd8) return 'resync';
    let i = 2;
    // marker segments up to SOS
    for (;;) {
      if (i + 4 > b.length) return undefined;
      if (b[i] !== 0xff) return 'resync';
      const m = b[i + 1]!;
      if (m === 0xff) {
        i++; // fill byte
        continue;
      }
      if (m === 0xd9) return i + 2; // EOI without scan (not produced by ffmpeg, but whole)
      const len = b.readUInt16BE(i + 2);
      if (len < 2) return 'resync';
      i += 2 + len;
      if (m === 0xda) break;
    }
    // entropy-coded data: FF 00 is a stuffed byte, FF D0-D7 a restart marker; a later push resumes
    // where this scan stopped (never before the scan's start)
    if (this.scanFrom > i) i = this.scanFrom;
    for (;;) {
      const j = b.indexOf(0xff, i);
      if (j < 0 || j + 1 >= b.length) {
        this.scanFrom = j < 0 ? Math.max(i, b.length - 1) : j;
        return undefined;
      }
      const n = b[j + 1]!;
      if (n === 0xd9) return j + 2;
      if (n === 0x00 || (n >= 0xd0 && n <= 0xd7) || n === 0xff) {
        i = j + 1;
        continue;
      }
      // another marker segment (e.g. a second scan of a progressive JPEG): skip it
      if (j + 4 > b.length) {
        this.scanFrom = j;
        return undefined;
      }
      i = j + 2 + b.readUInt16BE(j + 2);
    }
  }

  private pngEnd(): number | undefined | 'resync' {
    const b = this.buf;
    if (b.length < 8) return undefined;
    if (!b.subarray(0, 8).equals(PNG_SIG)) return 'resync';
    let i = 8;
    for (;;) {
      if (i + 8 > b.length) return undefined;
      const len = b.readUInt32BE(i);
      if (len > MAX_IMAGE_BYTES) return 'resync';
      const type = b.toString('latin1', i + 4, i + 8);
      i += 12 + len;
      if (type === 'IEND') return i <= b.length ? i : undefined;
    }
  }
}
