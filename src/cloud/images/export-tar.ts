/**
 * `GET /api/v1/images/export.tar?<image filters>`: the images of a filter as one tar stream, for
 * the UI's download button (the CLI's `export --images` writes a directory resumably instead).
 * Members are `images/<time_requested>_<machine>_<component>_<id>.jpg` (the CLI's names, so name
 * order is time order) in time order, then `images/images.jsonl` (one metadata line per image,
 * with its `file`). Bounded: at most EXPORT_MAX_IMAGES images (more is refused before anything is
 * sent: narrow the filter or use the CLI), one page of metadata and one image in memory at a time,
 * and a time limit after which the stream is cut (the browser marks the download failed rather
 * than keeping a silently short archive). Streamed with back-pressure: the next image is read
 * from the store only when the client has taken the previous one.
 */
import { Readable } from 'node:stream';
import { WharfError } from '../../shared/errors.js';
import type { ImageFilter, ImageQueries } from './contract.js';
import { imageFileName } from './export-images.js';

export const EXPORT_MAX_IMAGES = 10_000;
export const EXPORT_TIME_LIMIT_MS = 10 * 60_000;
const PAGE = 200;
const BLOCK = 512;

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header (a PAX `path` record first when the name does not fit in 100 bytes). */
export function tarHeader(name: string, size: number, mtimeMs: number): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  if (nameBytes.length > 100) {
    const rec = (len: number) => `${len} path=${name}\n`;
    let len = Buffer.byteLength(rec(0));
    while (Buffer.byteLength(rec(len)) !== len) len = Buffer.byteLength(rec(len));
    const body = Buffer.from(rec(len), 'utf8');
    return Buffer.concat([
      block(`PaxHeader/${name.slice(-80)}`, body.length, mtimeMs, 'x'),
      pad(body),
      block(name.slice(-100), size, mtimeMs, '0'),
    ]);
  }
  return block(name, size, mtimeMs, '0');
}

function block(name: string, size: number, mtimeMs: number, type: string): Buffer {
  const h = Buffer.alloc(BLOCK, 0);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.max(0, Math.floor(mtimeMs / 1000)), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest, 0)]);
}

/** The tar of a filter's images; refuses (CLOUD_BAD_REQUEST) more than `max` before any byte. */
export async function imageTar(
  images: ImageQueries,
  filter: ImageFilter,
  o: { max?: number; timeLimitMs?: number; now?: () => number } = {},
): Promise<{ count: number; stream: Readable }> {
  const max = o.max ?? EXPORT_MAX_IMAGES;
  const count = await images.countImages(filter);
  if (count > max)
    throw new WharfError(
      'CLOUD_BAD_REQUEST',
      `${count} images match; a download holds at most ${max}: narrow the filter (time range, machine, component), or export them all with: wharf cloud export --images --out DIR (resumable)`,
    );
  const now = o.now ?? Date.now;
  const deadline = now() + (o.timeLimitMs ?? EXPORT_TIME_LIMIT_MS);
  const started = now();
  async function* members(): AsyncGenerator<Buffer> {
    const lines: string[] = [];
    let cursor: string | null = null;
    let n = 0;
    for (let pages = 0; pages <= Math.ceil(max / PAGE) + 1; pages++) {
      const page = await images.listImages(filter, { limit: PAGE, order: 'asc', cursor });
      for (const m of page.images) {
        if (++n > max) break; // images added since the count: they wait for the next download
        if (now() > deadline)
          throw new WharfError(
            'CLOUD_STORE',
            `the image download took longer than ${Math.round((o.timeLimitMs ?? EXPORT_TIME_LIMIT_MS) / 1000)} s and was cut: narrow the filter or use wharf cloud export --images`,
          );
        const im = await images.image(m.id);
        if (im === null) continue; // deleted meanwhile: not listed in images.jsonl either
        const file = imageFileName(m);
        yield tarHeader(`images/${file}`, im.bytes.length, m.time_requested);
        yield pad(im.bytes);
        lines.push(JSON.stringify({ file, ...m }));
      }
      cursor = page.next_cursor;
      if (cursor === null || n >= max) break;
    }
    const jsonl = Buffer.from(lines.length > 0 ? `${lines.join('\n')}\n` : '', 'utf8');
    yield tarHeader('images/images.jsonl', jsonl.length, started);
    yield pad(jsonl);
    yield Buffer.alloc(2 * BLOCK, 0);
  }
  return { count, stream: Readable.from(members(), { objectMode: false, highWaterMark: 1 }) };
}
