/**
 * Thumbnails for the image grid, made in the cloud with sharp (libvips, prebuilt binaries shipped
 * in its registry packages; docs/dependencies.md): 240 px wide JPEG, made on first request and
 * kept in a bounded in-memory LRU (an image's bytes never change, so neither does its thumbnail).
 * At most 2 are made at once. sharp is imported lazily; if it cannot load on this platform the
 * route answers the full image (the browser scales it) and says so once in the log. An image sharp
 * cannot decode (bytes that start like a JPEG/PNG but are damaged inside) is `{unreadable: why}`,
 * remembered like a thumbnail, so the grid asking again costs nothing and logs nothing.
 */
import type { Logger } from '../../shared/logger.js';

export const THUMB_WIDTH = 240;
const MAX_CACHED = 2000;
const MAX_PARALLEL = 2;

type Resize = (bytes: Buffer) => Promise<Buffer>;

/** The part of sharp's API used here. */
type SharpFn = (
  input: Buffer,
  o: { failOn: 'error' },
) => {
  resize(o: { width: number; withoutEnlargement: boolean }): {
    jpeg(o: { quality: number }): { toBuffer(): Promise<Buffer> };
  };
};

/** A thumbnail, or why the image could not be decoded. */
type Made = Buffer | { unreadable: string };

export class Thumbnails {
  private readonly cache = new Map<number, Made>();
  private resize: Promise<Resize | null> | undefined;
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly logger: Logger) {}

  private loadSharp(): Promise<Resize | null> {
    // a variable specifier: the type check does not need sharp installed (it is loaded at run time)
    const name = 'sharp';
    this.resize ??= (import(name) as Promise<{ default: SharpFn }>).then(
      (m) => {
        const sharp = m.default;
        return (b: Buffer) =>
          sharp(b, { failOn: 'error' })
            .resize({ width: THUMB_WIDTH, withoutEnlargement: true })
            .jpeg({ quality: 70 })
            .toBuffer();
      },
      (err: unknown) => {
        this.logger.warn(
          { err: String(err) },
          'sharp cannot be loaded: the image grid gets full images instead of thumbnails',
        );
        return null;
      },
    );
    return this.resize;
  }

  /** The thumbnail (image/jpeg), null when sharp is unavailable (serve the original), or why the
   * image cannot be decoded. */
  async thumb(id: number, bytes: () => Promise<Buffer | null>): Promise<Made | null | 'missing'> {
    const hit = this.cache.get(id);
    if (hit !== undefined) {
      this.cache.delete(id);
      this.cache.set(id, hit);
      return hit;
    }
    const resize = await this.loadSharp();
    if (resize === null) return null;
    const src = await bytes();
    if (src === null) return 'missing';
    if (this.active >= MAX_PARALLEL) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      const t: Made = await resize(src).catch((err: unknown) => ({
        unreadable: (err instanceof Error ? err.message : String(err))
          .split('\n')[0]!
          .slice(0, 200),
      }));
      this.cache.set(id, t);
      if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      return t;
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
