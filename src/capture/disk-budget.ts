/**
 * Disk budget: keeps the capture directory within its quota and the filesystem from filling up.
 *
 * Two rules, checked by `enforceDiskBudget` (run it periodically with `startDiskBudget`):
 *  1. Quota (wharf): when the capture dir holds more than `capture_dir_max_bytes`, the oldest
 *     finished files are deleted, oldest first, until it fits.
 *  2. Disk full (Viam's rule): when the filesystem is more than `disk_usage_deletion_threshold`
 *     used AND the capture dir makes up at least `capture_dir_deletion_threshold` of the used
 *     space, one pass deletes every nth finished file (n = `delete_every_nth_when_disk_full`),
 *     oldest first, starting with the oldest (positions 0, n, 2n, …). Thinning keeps coverage of
 *     the whole period instead of losing one contiguous span; the next check repeats the pass if
 *     the disk is still over the threshold.
 *
 * Never touches `.prog` files or `failed/`. Every deleted file becomes a `disk_quota` gap record
 * (readings lost, time span, file name) appended to the store under the file's component, and the
 * store is flushed before the files are unlinked, so the account is on disk first. (If that flush
 * fails, e.g. on a full disk, the files are still deleted and the gaps stay queued in the store.)
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureMeta, GapRecord } from '../shared/record.js';
import type { DataManagerSettings } from '../config/plan.js';
import { captureKeyFor, type CaptureStore } from './capture-store.js';
import { decodeCaptureFile, recordSpan } from './file-format.js';
import { fsyncDir, listFinishedFiles, walkCaptureDir, type CaptureFileEntry } from './files.js';

export interface DiskUsage {
  totalBytes: number;
  usedBytes: number;
}

/** Filesystem usage of the volume holding `dir` (fs.statfs). */
export async function statfsUsage(dir: string): Promise<DiskUsage> {
  const s = await fsp.statfs(dir);
  return { totalBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
}

export type BudgetSettings = Pick<
  DataManagerSettings,
  | 'capture_dir_max_bytes'
  | 'disk_usage_deletion_threshold'
  | 'capture_dir_deletion_threshold'
  | 'delete_every_nth_when_disk_full'
>;

export interface DiskBudgetOptions {
  dir: string;
  settings: BudgetSettings;
  store: CaptureStore;
  logger: Logger;
  /** Injected so tests can drive it; default statfs. */
  diskUsage?: (dir: string) => Promise<DiskUsage>;
}

export interface DeletedFile {
  path: string;
  bytes: number;
  readings: number;
  gap: GapRecord;
  rule: 'quota' | 'disk_full';
}

export interface DiskBudgetReport {
  captureDirBytes: number;
  usage: DiskUsage | null;
  deleted: DeletedFile[];
}

/** Component identity from the path when a file's header is unreadable. */
function metaFromPath(dir: string, file: string): CaptureMeta {
  const parts = path.relative(dir, path.dirname(file)).split(path.sep);
  return {
    part_id: '',
    machine: '',
    component_type: parts[0] ?? 'unknown',
    component_name: parts[1] ?? 'unknown',
    method_name: parts[2] ?? 'unknown',
    additional_parameters: {},
    tags: [],
  };
}

async function describe(
  dir: string,
  f: CaptureFileEntry,
  rule: DeletedFile['rule'],
  why: string,
): Promise<DeletedFile & { meta: CaptureMeta }> {
  let meta: CaptureMeta;
  let readings = 0;
  let gaps = 0;
  let start = Infinity;
  let end = -Infinity;
  let note = '';
  try {
    const d = decodeCaptureFile(await fsp.readFile(f.path));
    meta = d.header.meta;
    for (const r of d.records) {
      if (r.kind === 'reading') readings++;
      else gaps++;
      const s = recordSpan(r);
      start = Math.min(start, s.start);
      end = Math.max(end, s.end);
    }
    if (d.records.length === 0) start = end = d.header.created_ms;
    if (d.torn !== null)
      note = `; file was damaged after ${d.records.length} records (${d.torn.reason})`;
  } catch (err) {
    meta = metaFromPath(dir, f.path);
    start = end = f.mtimeMs;
    note = `; header unreadable (${errorMessage(err)}), reading count unknown`;
  }
  const gap: GapRecord = {
    kind: 'gap',
    reason: 'disk_quota',
    start,
    end,
    count: readings,
    detail: `deleted ${path.relative(dir, f.path)} (${f.size} bytes, ${readings} readings, ${gaps} gap records) ${why}${note}`,
  };
  return { path: f.path, bytes: f.size, readings, gap, rule, meta };
}

/** One check; returns what was deleted. */
export async function enforceDiskBudget(opts: DiskBudgetOptions): Promise<DiskBudgetReport> {
  const { dir, settings, store, logger } = opts;
  const all = await walkCaptureDir(dir, [], true);
  let dirBytes = all.reduce((a, f) => a + f.size, 0);
  const finished = await listFinishedFiles(dir);
  const chosen: { f: CaptureFileEntry; rule: DeletedFile['rule']; why: string }[] = [];
  const taken = new Set<string>();

  const quota = settings.capture_dir_max_bytes;
  if (quota !== null && dirBytes > quota) {
    for (const f of finished) {
      if (dirBytes <= quota) break;
      chosen.push({
        f,
        rule: 'quota',
        why: `because the capture dir exceeded capture_dir_max_bytes=${quota}`,
      });
      taken.add(f.path);
      dirBytes -= f.size;
    }
    if (dirBytes > quota) {
      logger.warn(
        { dir, bytes: dirBytes, quota },
        'disk budget: still over capture_dir_max_bytes after deleting every finished file; the rest is open (.prog) or in failed/, which are never deleted: inspect failed/ with wharf data ls',
      );
    }
  }

  let usage: DiskUsage | null = null;
  try {
    usage = await (opts.diskUsage ?? statfsUsage)(dir);
  } catch (err) {
    logger.warn(
      { dir, err: errorMessage(err) },
      'disk budget: cannot read filesystem usage; only the quota applies',
    );
  }
  if (usage !== null && usage.totalBytes > 0 && usage.usedBytes > 0) {
    const diskFrac = usage.usedBytes / usage.totalBytes;
    const dirFrac = dirBytes / usage.usedBytes;
    if (
      diskFrac >= settings.disk_usage_deletion_threshold &&
      dirFrac >= settings.capture_dir_deletion_threshold
    ) {
      const n = Math.max(1, Math.floor(settings.delete_every_nth_when_disk_full));
      const why = `because the disk is ${(diskFrac * 100).toFixed(1)}% used (threshold ${settings.disk_usage_deletion_threshold * 100}%) and capture data is ${(dirFrac * 100).toFixed(1)}% of it (delete every ${n}th file)`;
      const rest = finished.filter((f) => !taken.has(f.path));
      for (let i = 0; i < rest.length; i += n) chosen.push({ f: rest[i]!, rule: 'disk_full', why });
    }
  }
  if (chosen.length === 0) return { captureDirBytes: dirBytes, usage, deleted: [] };

  const described = [];
  for (const c of chosen) described.push(await describe(dir, c.f, c.rule, c.why));
  for (const d of described) store.append(captureKeyFor(d.meta), d.meta, d.gap);
  try {
    await store.flush();
  } catch (err) {
    logger.error(
      { dir, err: errorMessage(err) },
      'disk budget: gap records not yet durable (they stay queued); deleting anyway to free space',
    );
  }
  const deleted: DeletedFile[] = [];
  const dirs = new Set<string>();
  for (const d of described) {
    try {
      await fsp.unlink(d.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        logger.error(
          { file: d.path, err: errorMessage(err) },
          'disk budget: could not delete file',
        );
        continue;
      }
      // already gone (synced and removed meanwhile): its gap record still over-reports; say so
      logger.warn(
        { file: d.path },
        'disk budget: file vanished before deletion (synced meanwhile?)',
      );
    }
    dirs.add(path.dirname(d.path));
    const { meta: _meta, ...rest } = d;
    deleted.push(rest);
    logger.warn(
      { file: d.path, readings: d.readings, bytes: d.bytes, rule: d.rule },
      'disk budget: deleted capture file',
    );
  }
  for (const d of dirs) await fsyncDir(d).catch(() => undefined);
  return { captureDirBytes: dirBytes, usage, deleted };
}

/** Runs enforceDiskBudget every `intervalMs` on the injected clock; returns stop(). */
export function startDiskBudget(
  opts: DiskBudgetOptions & { clock: Clock; intervalMs?: number },
): () => void {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const tick = (): void => {
    enforceDiskBudget(opts)
      .catch((err: unknown) =>
        opts.logger.error({ dir: opts.dir, err: errorMessage(err) }, 'disk budget check failed'),
      )
      .finally(() => {
        if (!stopped) timer = opts.clock.setTimer(tick, opts.intervalMs ?? 30_000);
      });
  };
  timer = opts.clock.setTimer(tick, opts.intervalMs ?? 30_000);
  return () => {
    stopped = true;
    if (timer !== undefined) opts.clock.clearTimer(timer);
  };
}
