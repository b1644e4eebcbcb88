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
 * carried. The store is flushed before the files are unlinked, so the account is on disk first.
 * (If that flush fails, e.g. on a full disk, the files are still deleted to make room and the gaps
 * stay queued in the store until the next flush succeeds.)
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureMeta, GapRecord } from '../shared/record.js';
import type { DataManagerSettings } from '../config/plan.js';
import { captureKeyFor, type CaptureStore } from './capture-store.js';
import { decodeCaptureFile } from './file-format.js';
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
  /** Gap records the file held, appended again (carried) so their account survives. */
  carried: GapRecord[];
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

type Described = DeletedFile & { meta: CaptureMeta };

/** Decode a file and describe its deletion; null when it holds no readings (never deleted). */
async function describe(
  dir: string,
  f: CaptureFileEntry,
  rule: DeletedFile['rule'],
  why: string,
): Promise<Described | null> {
  let meta: CaptureMeta;
  let readings = 0;
  const carried: GapRecord[] = [];
  let start = Infinity;
  let end = -Infinity;
  let note = '';
  try {
    const d = decodeCaptureFile(await fsp.readFile(f.path));
    meta = d.header.meta;
    for (const r of d.records) {
      if (r.kind === 'gap') {
        carried.push(r);
        continue;
      }
      readings++;
      for (const t of [r.time_requested, r.time_received]) {
        if (!Number.isFinite(t)) continue;
        start = Math.min(start, t);
        end = Math.max(end, t);
      }
    }
    if (readings === 0) return null;
    if (!Number.isFinite(start)) start = end = d.header.created_ms;
    if (d.torn !== null)
      note = `; file was damaged after ${d.records.length} records (${d.torn.reason}), readings after that unknown`;
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
    detail: `deleted ${path.relative(dir, f.path)} (${f.size} bytes, ${readings} readings, ${carried.length} gap records carried over) ${why}${note}`,
  };
  return { path: f.path, bytes: f.size, readings, gap, carried, rule, meta };
}

/** Typical time between two readings of a gap or file span (Infinity when unknown). */
function spacing(start: number, end: number, count: number): number {
  return count > 1 && end > start ? (end - start) / (count - 1) : Infinity;
}

/**
 * The disk_quota gaps to write for a deleted file: its own and the ones it carries (earlier
 * deletions), with the spans that chain without a hole merged (each starts within two reading
 * intervals of the previous end; counts summed). A run of consecutive deleted files of a stream
 * then stays one record however long it runs, while a span in between that was not deleted (e.g.
 * files synced meanwhile) keeps gaps apart. The file's own gap is left as it is (the report).
 */
export function coalesceDeletions(gaps: readonly GapRecord[]): GapRecord[] {
  const sorted = [...gaps].sort((x, y) => x.start - y.start || x.end - y.end);
  const out: GapRecord[] = [];
  let cur: GapRecord | undefined;
  let merged = 0;
  const close = () => {
    if (cur === undefined) return;
    if (merged > 0)
      cur.detail = `${merged + 1} consecutive deleted spans, ${cur.count} readings in all; the latest: ${(cur.detail ?? '').replace(/^\d+ consecutive deleted spans, \d+ readings in all; the latest: /, '')}`;
    out.push(cur);
  };
  for (const g of sorted) {
    if (cur !== undefined) {
      const near =
        2 * Math.min(spacing(cur.start, cur.end, cur.count), spacing(g.start, g.end, g.count)) + 1;
      if (g.start - cur.end <= near) {
        cur.end = Math.max(cur.end, g.end);
        cur.count += g.count;
        cur.detail = g.detail ?? cur.detail;
        merged++;
        continue;
      }
    }
    close();
    cur = { ...g };
    merged = 0;
  }
  close();
  if (out.length <= MAX_CARRIED_SPANS) return out;
  // Bounded: a long run of deletions in interleaved files would otherwise grow the account with
  // every deletion. The oldest spans fold into one summary (count exact, span approximate).
  const fold = out.slice(0, out.length - MAX_CARRIED_SPANS + 1);
  const n = fold.reduce((a, g) => a + g.count, 0);
  const summary: GapRecord = {
    kind: 'gap',
    reason: 'disk_quota',
    start: Math.min(...fold.map((g) => g.start)),
    end: Math.max(...fold.map((g) => g.end)),
    count: n,
    detail: `${fold.length} spans of deleted capture files between these times, ${n} readings in all (files kept or synced in between may hold readings of this period)`,
  };
  return [summary, ...out.slice(out.length - MAX_CARRIED_SPANS + 1)];
}

/** At most this many disk_quota spans are carried per deleted file (the rest fold into one). */
const MAX_CARRIED_SPANS = 8;

/** One check; returns what was deleted. */
export async function enforceDiskBudget(opts: DiskBudgetOptions): Promise<DiskBudgetReport> {
  const { dir, settings, store, logger } = opts;
  const all = await walkCaptureDir(dir, [], true);
  let dirBytes = all.reduce((a, f) => a + f.size, 0);
  const finished = await listFinishedFiles(dir);
  const chosen: Described[] = [];
  const seen = new Set<string>();
  const pick = async (f: CaptureFileEntry, rule: DeletedFile['rule'], why: string) => {
    seen.add(f.path);
    const d = await describe(dir, f, rule, why).catch((err: unknown) => {
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
      if (d !== null) dirBytes -= f.size;
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
    const dirFrac = dirBytes / usage.usedBytes;
    if (
      diskFrac >= settings.disk_usage_deletion_threshold &&
      dirFrac >= settings.capture_dir_deletion_threshold
    ) {
      const n = Math.max(1, Math.floor(settings.delete_every_nth_when_disk_full));
      const why = `because the disk is ${(diskFrac * 100).toFixed(1)}% used (threshold ${settings.disk_usage_deletion_threshold * 100}%) and capture data is ${(dirFrac * 100).toFixed(1)}% of it (delete every ${n}th file)`;
      const rest = finished.filter((f) => !seen.has(f.path));
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
