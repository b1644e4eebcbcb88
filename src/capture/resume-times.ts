/**
 * Where each plan entry's durable data ends at start: the checkpoint (checkpoint.ts), corrected by
 * what crash recovery found and by the newest finished file of each entry.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureMeta } from '../shared/record.js';
import { periodMs, type CapturePlan } from '../config/plan.js';
import { metaFor } from './engine-plan.js';
import type { PauseReason } from './paused.js';
import { decodeCaptureFile, FINISHED_SUFFIX } from './file-format.js';
import { IN_FLIGHT_DETAIL } from './collector-polled.js';
import { relativeDirFor } from './capture-store.js';
import { oldestFirst, walkCaptureDir } from './files.js';
import { adoptPreviousDir, canonical, readCheckpointFile, writeCheckpoint } from './checkpoint.js';

/**
 * The last tick time (reading `time_requested`, gap `end`) in each file crash recovery finished.
 * (Not the recovery report's lastRecordTime: that is a reading's time_received, later than its tick.)
 */
export async function lastTicksOf(
  files: readonly { finalPath: string; meta: CaptureMeta }[],
  logger: Logger,
  /** The entry period (ms) for a file's meta, when the plan has that entry. */
  periodOf: (meta: CaptureMeta) => number | undefined = () => undefined,
): Promise<{ meta: CaptureMeta; lastRecordTime: number | null }[]> {
  const out: { meta: CaptureMeta; lastRecordTime: number | null }[] = [];
  for (const f of files) {
    try {
      const d = decodeCaptureFile(await fsp.readFile(f.finalPath));
      // A missed-ticks gap "previous read still in flight" [s, …] means the read of tick s − period
      // was pending; if its record never made it to disk, the mark must stay before that tick.
      let last: number | null = null;
      const entryPeriod = periodOf(d.header.meta);
      const unresolved = new Map<number, number>(); // pending tick → period
      for (const r of d.records) {
        if (r.kind === 'reading') {
          unresolved.delete(r.time_requested);
          if (last === null || r.time_requested > last) last = r.time_requested;
          continue;
        }
        if (r.reason === 'recovery_truncated') continue;
        unresolved.delete(r.start);
        if (r.reason === 'missed_ticks' && r.detail === IN_FLIGHT_DETAIL && r.count > 0) {
          const period = entryPeriod ?? (r.count > 1 ? (r.end - r.start) / (r.count - 1) : NaN);
          // Without a known period, hold before the gap itself (the capture_stopped gap then overlaps it).
          if (Number.isFinite(period) && period > 0) unresolved.set(r.start - period, period);
          else unresolved.set(r.start, 0);
        }
        if (last === null || r.end > last) last = r.end;
      }
      for (const [tick, period] of unresolved)
        if (last !== null && tick - period < last) last = tick - period;
      out.push({ meta: d.header.meta, lastRecordTime: last });
    } catch (err) {
      logger.warn(
        { file: f.finalPath, err: errorMessage(err) },
        'cannot read a recovered capture file for its last record time',
      );
    }
  }
  return out;
}

/**
 * Fold what crash recovery found into the resume times: a `.prog` left by a crash may hold records
 * newer than the last checkpoint (the process died between a flush and the checkpoint write).
 * `entries` maps each plan entry key to the meta its records carry.
 */
/**
 * The newest finished file of each entry. Its last record can be newer than the checkpoint (the
 * checkpoint's marks are taken before the flush that made the records durable, and that flush may
 * have finished the file), so a restart reads it as well: the resume mark is then exactly the last
 * durable record, which is what a board's re-sent backlog is deduplicated against.
 */
export async function newestFinishedOf(
  dir: string,
  metas: Iterable<CaptureMeta>,
): Promise<{ finalPath: string; meta: CaptureMeta }[]> {
  const out: { finalPath: string; meta: CaptureMeta }[] = [];
  for (const meta of metas) {
    const files = oldestFirst(
      await walkCaptureDir(path.join(dir, relativeDirFor(meta)), [FINISHED_SUFFIX]),
    );
    const newest = files[files.length - 1];
    if (newest !== undefined) out.push({ finalPath: newest.path, meta });
  }
  return out;
}

export function mergeRecovered(
  resume: Map<string, number>,
  recovered: readonly { meta: CaptureMeta; lastRecordTime: number | null }[],
  entries: ReadonlyMap<string, CaptureMeta>,
): Map<string, number> {
  const byMeta = new Map<string, string>();
  for (const [key, meta] of entries) byMeta.set(canonical(meta), key);
  for (const r of recovered) {
    if (r.lastRecordTime === null) continue;
    const key = byMeta.get(canonical(r.meta));
    if (key === undefined) continue;
    const had = resume.get(key);
    if (had === undefined || r.lastRecordTime > had) resume.set(key, r.lastRecordTime);
  }
  return resume;
}

/**
 * Where each plan entry's durable data ends, at start: the checkpoint (and, after a capture_dir
 * switch, the previous directory's marks, named `capture_dir_changed`), corrected by what crash
 * recovery found (`recovered`: the files it finished, plus the newest finished file per entry),
 * and written back at once, so a crash before this run's first flush still leaves the right mark.
 */
export async function resumeTimes(o: {
  dir: string;
  plan: CapturePlan;
  recovered: readonly { finalPath: string; meta: CaptureMeta }[] | undefined;
  previousCaptureDir?: string | null | undefined;
  /**
   * Dirs still draining after a live capture_dir change: a crash right at the switch can leave
   * their checkpoint (and the files recovery just finished there, in `recovered`) newer than this
   * dir's; the newer mark wins, so the hole after it is still accounted.
   */
  drainingDirs?: readonly string[];
  clock: Clock;
  logger: Logger;
}): Promise<{ entries: Map<string, number>; reasons: Map<string, PauseReason> }> {
  const { dir, plan, logger } = o;
  const { entries: resume, reasons } = await readCheckpointFile(dir, logger);
  if (o.previousCaptureDir != null && o.previousCaptureDir !== dir) {
    const n = await adoptPreviousDir(o.previousCaptureDir, resume, reasons, logger);
    logger.info(
      { capture_dir: dir, previous: o.previousCaptureDir, entries: n },
      'capture_dir changed since the last run: the switch is recorded as capture_dir_changed gaps',
    );
  }
  for (const d of o.drainingDirs ?? []) {
    if (d === dir) continue;
    const old = await readCheckpointFile(d, logger);
    for (const [k, t] of old.entries) {
      const own = resume.get(k);
      if (own !== undefined && own >= t) continue;
      resume.set(k, t);
      const why = old.reasons.get(k);
      if (why === undefined) reasons.delete(k);
      else reasons.set(k, why);
    }
  }
  if (o.recovered !== undefined) {
    const metas = new Map(plan.entries.map((e) => [e.key, metaFor(plan, e)]));
    const periods = new Map(
      plan.entries
        .filter((e) => e.hz > 0)
        .map((e) => [canonical(metaFor(plan, e)), periodMs(e.hz)]),
    );
    const recovered = [...o.recovered, ...(await newestFinishedOf(dir, metas.values()))];
    mergeRecovered(
      resume,
      await lastTicksOf(recovered, logger, (m) => periods.get(canonical(m))),
      metas,
    );
  }
  if (resume.size > 0) {
    await writeCheckpoint(dir, resume, o.clock.now(), reasons).catch((err: unknown) =>
      logger.warn({ err: errorMessage(err) }, 'writing the capture checkpoint failed'),
    );
  }
  return { entries: resume, reasons };
}
