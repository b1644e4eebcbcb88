/**
 * Disk budget: keeps the capture directory within its quota and the filesystem from filling up.
 *
 * Two rules, checked by `enforceDiskBudget`; `DiskBudgetRunner` runs it at start, after every
 * finished capture file (`kick()`) and every `disk_budget_interval_ms`, so the directory never
 * grows past the quota by more than the files being written:
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
 * (the readings it held, their time span, the file name) appended to the store under the file's
 * component, and the gap records the deleted file itself held are appended again with it (carried
 * into the newest file), so no later deletion can erase an earlier account. A file holding no
 * readings (only gap records) is never deleted: deleting it would free nothing once its gaps are
 * carried. After a live capture_dir change the old dirs still draining (`drainingDirs`) count as
 * part of the capture dir: the quota covers them all, the disk-full rule the ones on the current
 * dir's filesystem; their files are older, so they go first (gap records into the current dir). The store is flushed before the files are unlinked, so the account is on disk first.
 * (If that flush fails, e.g. on a full disk, the files are still deleted to make room and the gaps
 * stay queued in the store until the next flush succeeds.)
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { DataManagerSettings } from '../config/plan.js';
import { captureKeyFor, type CaptureStore } from './capture-store.js';
import {
  fsyncDir,
  listFinishedFiles,
  oldestFirst,
  walkCaptureDir,
  type CaptureFileEntry,
} from './files.js';
import {
  coalesceDeletions,
  describe,
  type DeletedFile,
  type Described,
} from './disk-budget-account.js';

export type { DeletedFile } from './disk-budget-account.js';

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
  /**
   * Capture dirs left by a live capture_dir change, still draining: their files count against the
   * budget with the current dir's, and being older they are the first deleted.
   */
  drainingDirs?: readonly string[];
  settings: BudgetSettings;
  store: CaptureStore;
  logger: Logger;
  /** Injected so tests can drive it; default statfs. */
  diskUsage?: (dir: string) => Promise<DiskUsage>;
}

export interface DiskBudgetReport {
  captureDirBytes: number;
  usage: DiskUsage | null;
  deleted: DeletedFile[];
}

/** One check; returns what was deleted. */
export async function enforceDiskBudget(opts: DiskBudgetOptions): Promise<DiskBudgetReport> {
  const { dir, settings, store, logger } = opts;
  const scanned = [dir, ...(opts.drainingDirs ?? []).filter((d) => d !== dir)];
  // the disk-full rule weighs the capture data on the current dir's filesystem only
  const devOf = async (d: string) => (await fsp.stat(d).catch(() => null))?.dev ?? null;
  const ownDev = await devOf(dir);
  const onOwnFs = new Set<string>();
  let dirBytes = 0;
  let fsBytes = 0;
  const baseOf = new Map<string, string>();
  const finishedAll: CaptureFileEntry[] = [];
  for (const d of scanned) {
    const bytes = (await walkCaptureDir(d, [], true)).reduce((a, f) => a + f.size, 0);
    dirBytes += bytes;
    if (d === dir || (ownDev !== null && (await devOf(d)) === ownDev)) {
      onOwnFs.add(d);
      fsBytes += bytes;
    }
    for (const f of await listFinishedFiles(d)) {
      baseOf.set(f.path, d);
      finishedAll.push(f);
    }
  }
  const finished = oldestFirst(finishedAll);
  const chosen: Described[] = [];
  const seen = new Set<string>();
  const pick = async (f: CaptureFileEntry, rule: DeletedFile['rule'], why: string) => {
    seen.add(f.path);
    const d = await describe(baseOf.get(f.path) ?? dir, f, rule, why).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; // synced meanwhile
      throw err;
    });
    if (d !== null) chosen.push(d);
    return d;
  };

  const quota = settings.capture_dir_max_bytes;
  if (quota !== null && dirBytes > quota) {
    for (const f of finished) {
      if (dirBytes <= quota) break;
      const d = await pick(
        f,
        'quota',
        `because the capture dir exceeded capture_dir_max_bytes=${quota}`,
      );
      if (d !== null) {
        dirBytes -= f.size;
        if (onOwnFs.has(baseOf.get(f.path) ?? dir)) fsBytes -= f.size;
      }
    }
    if (dirBytes > quota) {
      logger.warn(
        { dir, bytes: dirBytes, quota },
        'disk budget: still over capture_dir_max_bytes after deleting every finished file with readings; the rest is open (.prog), gap records or in failed/, which are never deleted: inspect failed/ with wharf data ls',
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
    const dirFrac = fsBytes / usage.usedBytes;
    if (
      diskFrac >= settings.disk_usage_deletion_threshold &&
      dirFrac >= settings.capture_dir_deletion_threshold
    ) {
      const n = Math.max(1, Math.floor(settings.delete_every_nth_when_disk_full));
      const why = `because the disk is ${(diskFrac * 100).toFixed(1)}% used (threshold ${settings.disk_usage_deletion_threshold * 100}%) and capture data is ${(dirFrac * 100).toFixed(1)}% of it (delete every ${n}th file)`;
      const rest = finished.filter(
        (f) => !seen.has(f.path) && onOwnFs.has(baseOf.get(f.path) ?? dir),
      );
      // every nth file with readings (a file of gap records only frees nothing)
      for (let i = 0; i < rest.length; i += n) {
        for (let j = i; j < Math.min(rest.length, i + n); j++) {
          if ((await pick(rest[j]!, 'disk_full', why)) !== null) break;
        }
      }
    }
  }
  if (chosen.length === 0) return { captureDirBytes: dirBytes, usage, deleted: [] };

  for (const d of chosen) {
    // into the stream's current file when it is capturing (no file of gap records only)
    const key = store.keyFor?.(d.meta) ?? captureKeyFor(d.meta);
    const quota = d.carried.filter((g) => g.reason === 'disk_quota');
    for (const g of d.carried) if (g.reason !== 'disk_quota') store.append(key, d.meta, g);
    for (const g of coalesceDeletions([...quota, d.gap])) store.append(key, d.meta, g);
  }
  try {
    await store.flush();
  } catch (err) {
    logger.error(
      { dir, err: errorMessage(err) },
      'disk budget: gap records not yet durable (they stay queued); deleting anyway to free space',
    );
  }
  const described = chosen;
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
