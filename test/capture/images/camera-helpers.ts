/**
 * What the camera tests share: a gateway plan of ffmpeg cameras capturing into a directory, the
 * records of its finished capture files in time order, and a bounded wait.
 */
import { promises as fsp } from 'node:fs';
import { expect } from 'vitest';
import { decodeCaptureFile, FINISHED_SUFFIX } from '../../../src/capture/file-format.js';
import { walkCaptureDir } from '../../../src/capture/files.js';
import type { CapturePlan } from '../../../src/config/index.js';
import type { CaptureMeta, CaptureRecord, ReadingRecord } from '../../../src/shared/record.js';
import { load, planOf } from '../../config/helpers.js';

/** Polls `fn` until it gives a value (bounded by `ms`). */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every record of the finished capture files under `dir`, in time order; no file may be torn. */
export async function records(dir: string): Promise<{ meta: CaptureMeta; rec: CaptureRecord }[]> {
  const out: { meta: CaptureMeta; rec: CaptureRecord }[] = [];
  for (const f of await walkCaptureDir(dir, [FINISHED_SUFFIX])) {
    // the disk budget may delete a file between the walk and the read (its loss is a gap record)
    const bytes = await fsp.readFile(f.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (bytes === null) continue;
    const d = decodeCaptureFile(bytes);
    expect(d.torn).toBeNull();
    for (const rec of d.records) out.push({ meta: d.header.meta, rec });
  }
  return out.sort((a, b) => start(a.rec) - start(b.rec));
}
export const start = (r: CaptureRecord): number => (r.kind === 'gap' ? r.start : r.time_requested);
export const images = (rs: { rec: CaptureRecord }[]): ReadingRecord[] =>
  rs.map((r) => r.rec).filter((r): r is ReadingRecord => r.kind === 'reading' && !!r.binary);

/** Machine `cam-gw`, files flushed every 100 ms and finished every 300 ms, these components. */
export function cameraConfig(dir: string, cams: unknown[], tags?: string[]): CapturePlan {
  return planOf(
    load({
      services: [
        {
          name: 'data_manager',
          type: 'data_manager',
          attributes: {
            capture_dir: dir,
            flush_interval_ms: 100,
            maximum_capture_file_age_ms: 300,
            ...(tags === undefined ? {} : { tags }),
          },
        },
      ],
      components: cams,
      wharf: { machine: 'cam-gw', http: null },
    }),
  );
}

/** A camera component: `source` is its video_path, or its whole attributes. */
export const camera = (
  name: string,
  source: string | Record<string, unknown>,
  methods: unknown[],
  model = 'ffmpeg',
) => ({
  name,
  type: 'camera',
  model,
  attributes: typeof source === 'string' ? { video_path: source } : source,
  service_configs: [{ type: 'data_manager', attributes: { capture_methods: methods } }],
});
