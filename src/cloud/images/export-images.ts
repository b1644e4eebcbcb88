/**
 * `wharf cloud export --images --out DIR`: every image matching the filter as a file, plus
 * `images.jsonl` (one metadata line per image, in time order). File names start with
 * time_requested in UTC (`2026-12-07T11-45-36.123Z_<machine>_<component>_<id>.jpg`), so name order
 * is time order. Resumable: run the same command again; an image already in DIR with the right
 * SHA-256 is kept, a missing or damaged one is fetched again (written to `.part` then renamed, so a
 * name never holds half an image), and images.jsonl is rewritten whole at the end.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import { WharfError, errorMessage } from '../../shared/errors.js';
import { hideUserinfo } from '../../shared/secrets.js';
import type { Progress } from '../progress.js';
import type { ImageFilter, ImageMeta } from './contract.js';

export interface ImageExportOptions {
  baseUrl: string;
  apiKey: string;
  filter: ImageFilter;
  outDir: string;
  progress?: Progress;
  pageSize?: number;
}

export interface ImageExportResult {
  images: number;
  fetched: number;
  kept: number;
  bytes: number;
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);

export function imageFileName(m: ImageMeta): string {
  const t = new Date(m.time_requested).toISOString().replace(/:/g, '-');
  const ext = m.mime_type === 'image/png' ? 'png' : 'jpg';
  return `${t}_${safe(m.machine)}_${safe(m.component_name)}_${m.id}.${ext}`;
}

function query(f: ImageFilter): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  }
  return p;
}

async function sha256File(p: string): Promise<string | null> {
  try {
    return createHash('sha256')
      .update(await readFile(p))
      .digest('hex');
  } catch {
    return null;
  }
}

export async function exportImages(o: ImageExportOptions): Promise<ImageExportResult> {
  const get = async (p: string, q?: URLSearchParams): Promise<Response> => {
    const u = new URL(p, o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`);
    if (q) u.search = q.toString();
    let res: Response;
    try {
      res = await fetch(u, { headers: { authorization: `Bearer ${o.apiKey}` } });
    } catch (err) {
      throw new WharfError(
        'SYNC_UNREACHABLE',
        `cannot reach the cloud at ${hideUserinfo(o.baseUrl)}: ${errorMessage(err)}; run the same command again to resume`,
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new WharfError(
        res.status === 401 ? 'CLOUD_AUTH' : res.status < 500 ? 'CLOUD_BAD_REQUEST' : 'CLOUD_STORE',
        `cloud answered ${res.status} for ${u.pathname}: ${text.slice(0, 300)}`,
      );
    }
    return res;
  };
  await mkdir(o.outDir, { recursive: true });
  const base = query(o.filter);
  const total = ((await (await get('api/v1/images/count', base)).json()) as { count: number })
    .count;
  const lines: string[] = [];
  const r: ImageExportResult = { images: 0, fetched: 0, kept: 0, bytes: 0 };
  let cursor: string | null = null;
  for (let pages = 0; pages < 10_000_000; pages++) {
    const q = new URLSearchParams(base);
    q.set('order', 'asc');
    q.set('limit', String(o.pageSize ?? 500));
    if (cursor) q.set('cursor', cursor);
    const page = (await (await get('api/v1/images', q)).json()) as {
      images: ImageMeta[];
      next_cursor: string | null;
    };
    for (const m of page.images) {
      const file = imageFileName(m);
      const dest = path.join(o.outDir, file);
      if ((await sha256File(dest)) === m.sha256) r.kept++;
      else {
        const bytes = Buffer.from(await (await get(`api/v1/images/${m.id}`)).arrayBuffer());
        const got = createHash('sha256').update(bytes).digest('hex');
        if (got !== m.sha256)
          throw new WharfError(
            'CLOUD_STORE',
            `image ${m.id} arrived damaged (sha256 ${got.slice(0, 12)}…, expected ${m.sha256.slice(0, 12)}…); run the command again`,
          );
        const part = `${dest}.part`;
        const fh = await open(part, 'w');
        try {
          await fh.writeFile(bytes);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(part, dest);
        r.fetched++;
        r.bytes += bytes.length;
      }
      r.images++;
      lines.push(JSON.stringify({ file, ...m }));
      o.progress?.update(r.images, total, `(${r.kept} already there)`);
    }
    cursor = page.next_cursor;
    if (cursor === null) break;
  }
  const jsonl = path.join(o.outDir, 'images.jsonl');
  await writeFile(`${jsonl}.part`, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  await rename(`${jsonl}.part`, jsonl);
  return r;
}
