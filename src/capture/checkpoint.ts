/**
 * The restart checkpoint: for each running plan entry, the time of its last record known to be
 * durable. Written after every flush (temp file, fsync, rename) to `<capture_dir>/.wharf-checkpoint.json`.
 * On start the engine turns "last durable record → now" into one `capture_stopped` gap per entry, so
 * the readings a crash lost (at most one flush interval) and the downtime both show as a gap.
 *
 * FlushLoop drives it: every `intervalMs` it writes pending gaps, flushes the store, then the
 * checkpoint. The store also flushes on its own timer; the checkpoint may lag by one interval, which
 * only makes the gap after a crash start a little early (an over-, never an under-statement).
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import type { CaptureMeta } from '../shared/record.js';
import { periodMs, type CapturePlan } from '../config/plan.js';
import type { EntryOutput } from './entry-output.js';
import { metaFor, type CaptureEngine, type PauseReason, type PausedEntry } from './engine.js';
import { decodeCaptureFile } from './file-format.js';
import { IN_FLIGHT_DETAIL } from './collector-polled.js';
import { relativeDirFor } from './capture-store.js';
import { oldestFirst, walkCaptureDir } from './files.js';
import { FINISHED_SUFFIX } from './file-format.js';

export const CHECKPOINT_FILE = '.wharf-checkpoint.json';

interface CheckpointFile {
  version: 1;
  written_at: number;
  /** entry key → ms epoch of its last durable record (reading time or gap end). */
  entries: Record<string, number>;
  /** entry key → why it was not capturing (absent: it was, so a gap after it is capture_stopped). */
  reasons?: Record<string, PauseReason>;
}

const PAUSE_REASONS: readonly string[] = [
  'capture_stopped',
  'capture_disabled',
  'method_disabled',
  'capture_dir_changed',
];

export async function readCheckpoint(dir: string, logger: Logger): Promise<Map<string, number>> {
  return (await readCheckpointFile(dir, logger)).entries;
}

/** The checkpoint's marks and, for entries that were not capturing, why. */
export async function readCheckpointFile(
  dir: string,
  logger: Logger,
): Promise<{ entries: Map<string, number>; reasons: Map<string, PauseReason> }> {
  const file = path.join(dir, CHECKPOINT_FILE);
  const entries = new Map<string, number>();
  const reasons = new Map<string, PauseReason>();
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn(
        { file, err: errorMessage(err) },
        'cannot read the capture checkpoint; no capture_stopped gaps this start',
      );
    return { entries, reasons };
  }
  try {
    const parsed = JSON.parse(text) as CheckpointFile;
    for (const [k, v] of Object.entries(parsed.entries ?? {}))
      if (typeof v === 'number' && Number.isFinite(v)) entries.set(k, v);
    for (const [k, v] of Object.entries(parsed.reasons ?? {}))
      if (entries.has(k) && PAUSE_REASONS.includes(v)) reasons.set(k, v);
  } catch (err) {
    logger.warn(
      { file, err: errorMessage(err) },
      'capture checkpoint is damaged; ignoring it (no capture_stopped gaps this start)',
    );
  }
  return { entries, reasons };
}

/**
 * After a capture_dir switch: the previous directory's checkpoint knows where each entry stopped.
 * Its marks newer than this directory's own are taken, named `capture_dir_changed`.
 */
export async function adoptPreviousDir(
  previousDir: string,
  resume: Map<string, number>,
  reasons: Map<string, PauseReason>,
  logger: Logger,
): Promise<number> {
  const prev = await readCheckpointFile(previousDir, logger);
  let n = 0;
  for (const [k, t] of prev.entries) {
    const own = resume.get(k);
    if (own !== undefined && own >= t) continue;
    resume.set(k, t);
    reasons.set(k, 'capture_dir_changed');
    n++;
  }
  return n;
}

export async function writeCheckpoint(
  dir: string,
  entries: Map<string, number>,
  now: number,
  reasons?: ReadonlyMap<string, PauseReason>,
): Promise<void> {
  const file = path.join(dir, CHECKPOINT_FILE);
  const tmp = `${file}.tmp`;
  const body: CheckpointFile = {
    version: 1,
    written_at: now,
    entries: Object.fromEntries(entries),
  };
  if (reasons !== undefined && reasons.size > 0) {
    const r: Record<string, PauseReason> = {};
    for (const [k, v] of reasons) if (entries.has(k) && v !== 'capture_stopped') r[k] = v;
    if (Object.keys(r).length > 0) body.reasons = r;
  }
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(body));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
}

/** JSON with object keys sorted, so two equal metas compare equal whatever their key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

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

/** What FlushLoop needs from a store. */
export interface Flushable {
  flush(): Promise<void>;
}

export class FlushLoop {
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastError: string | null = null;
  private lastLogged = -Infinity;

  constructor(
    private readonly o: {
      engine: CaptureEngine;
      /** Outputs of collectors outside the engine (cameras, gateway sensors): flushed and checkpointed too. */
      extraOutputs?: () => EntryOutput[];
      /** Paused entries of those collectors (removed, disabled): checkpointed with their reason. */
      extraPaused?: () => Iterable<[string, PausedEntry]>;
      store: Flushable;
      dir: string;
      clock: Clock;
      logger: Logger;
      intervalMs: number;
      metrics?: Metrics;
    },
  ) {}

  start(): void {
    this.arm();
  }

  /** Pending gaps → store → disk, then the checkpoint. Serialised. */
  flushNow(): Promise<void> {
    const prev = this.running ?? Promise.resolve();
    const p = prev.then(() => this.once());
    this.running = p.finally(() => {
      if (this.running === p) this.running = undefined;
    });
    return p;
  }

  /** Final flush; the loop ends. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.flushNow();
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimer(() => {
      this.timer = undefined;
      this.flushNow()
        .catch(() => undefined)
        .finally(() => this.arm());
    }, this.o.intervalMs);
  }

  private async once(): Promise<void> {
    const { engine, store, clock, logger, metrics } = this.o;
    engine.flushGaps();
    const snapshot = new Map<string, number>();
    const reasons = new Map<string, PauseReason>();
    // entries not capturing keep their mark (and why), so their hole is accounted when they resume
    for (const [key, p] of [...engine.pausedEntries(), ...(this.o.extraPaused?.() ?? [])]) {
      snapshot.set(key, p.last);
      reasons.set(key, p.reason);
    }
    const extra = this.o.extraOutputs?.() ?? [];
    for (const out of extra) out.flushGap();
    for (const out of [...engine.outputs(), ...extra]) {
      const mark = out.mark();
      if (mark !== undefined) {
        snapshot.set(out.key, mark);
        reasons.delete(out.key);
      }
    }
    try {
      await store.flush();
    } catch (err) {
      metrics
        ?.counter('wharf_flush_errors_total', 'Flushes of the capture store that failed.')
        .inc();
      // once per distinct error and at most once a minute while it lasts (a full disk fails
      // every flush; the store logs each new error itself)
      const msg = errorMessage(err);
      const now = clock.now();
      if (msg !== this.lastError || now - this.lastLogged >= 60_000) {
        this.lastError = msg;
        this.lastLogged = now;
        logger.error({ err: msg }, 'capture flush failed; records stay queued and are retried');
      }
      return;
    }
    this.lastError = null;
    try {
      await writeCheckpoint(this.o.dir, snapshot, clock.now(), reasons);
    } catch (err) {
      logger.warn({ err: errorMessage(err) }, 'writing the capture checkpoint failed');
    }
  }
}
