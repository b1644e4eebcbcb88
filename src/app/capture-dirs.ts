/**
 * The gateway's capture dirs: the current one, where new data goes, and the ones a live
 * `capture_dir` change left behind that still hold data ("draining"): their files (finished, and
 * the ones open at the switch, finished then) stay where they are and keep syncing until the dir
 * is empty; then it is dropped. Each dir stays locked (one gateway per dir) while it is ours.
 *
 * The draining list is written into the current dir (src/capture/draining.ts) before a switch takes
 * effect and whenever a dir empties, so a restart (or a crash) keeps draining. A dir the gateway ran
 * with before a restart into another capture_dir (`previousCaptureDir`) is drained the same way.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CaptureDirLock } from '../capture/dir-lock.js';
import {
  dirContents,
  isDrained,
  readDraining,
  writeDraining,
  type DirContents,
  type DrainingDir,
} from '../capture/draining.js';
import { recoverCaptureDir, type RecoveredFile } from '../capture/recovery.js';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { errorMessage, WharfError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';
import { registerDrainingMetrics, reportRecovery } from './gateway-metrics.js';

export interface DrainingState extends DrainingDir {
  /** Its store is still finishing the files that were open at the switch. */
  closing: boolean;
  /** What it held at the last check (null before the first). */
  contents: DirContents | null;
}

interface Held extends DrainingState {
  lock: CaptureDirLock | undefined;
}

/** a inside b (or equal). */
function within(a: string, b: string): boolean {
  const rel = path.relative(b, a);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export interface CaptureDirsOptions {
  dir: string;
  lock: CaptureDirLock | undefined;
  logger: Logger;
  clock: Clock;
  metrics: Metrics;
  /**
   * How often draining dirs are measured (and dropped once empty); default 1000 ms, and at least
   * ten times what the last measurement took.
   */
  checkMs?: number;
}

export class CaptureDirs {
  private currentDir: string;
  private currentLock: CaptureDirLock | undefined;
  private readonly held = new Map<string, Held>();
  private timer: TimerHandle | undefined;
  private checking: Promise<void> | null = null;
  private stopped = false;
  private lastCheckMs = 0;
  /** Called when a draining dir is empty, before its lock is released (stop its sync). */
  onDrained: (dir: string) => Promise<void> = async () => undefined;

  private constructor(private readonly o: CaptureDirsOptions) {
    this.currentDir = path.resolve(o.dir);
    this.currentLock = o.lock;
    registerDrainingMetrics(o.metrics, () => this.list());
  }

  /**
   * At start (the current dir locked and recovered): takes over the dirs the last run was draining
   * and `previousCaptureDir` when it still holds data; locks and recovers each. Returns the files
   * recovery finished there (their last records may be the newest: see resumeTimes).
   */
  static async open(
    o: CaptureDirsOptions & { previousCaptureDir?: string | null | undefined },
  ): Promise<{ dirs: CaptureDirs; recovered: RecoveredFile[] }> {
    const dirs = new CaptureDirs(o);
    const wanted: DrainingDir[] = await readDraining(dirs.currentDir, o.logger);
    const prev = o.previousCaptureDir;
    if (prev != null && !wanted.some((d) => d.dir === prev))
      wanted.push({ dir: path.resolve(prev), since_ms: o.clock.now() });
    const recovered: RecoveredFile[] = [];
    for (const d of wanted) {
      const cur = dirs.currentDir;
      if (within(d.dir, cur) || within(cur, d.dir) || dirs.held.has(d.dir)) continue;
      let contents: DirContents;
      try {
        contents = await dirContents(d.dir);
      } catch (err) {
        o.logger.warn({ dir: d.dir, err: errorMessage(err) }, 'cannot read a draining capture dir');
        continue;
      }
      if (isDrained(contents)) continue;
      let lock: CaptureDirLock | undefined;
      try {
        lock = o.lock === undefined ? undefined : await CaptureDirLock.acquire(d.dir, o.logger);
      } catch (err) {
        o.logger.warn(
          { dir: d.dir, err: errorMessage(err) },
          'a previous capture dir still holds data but another gateway uses it; not syncing it from here',
        );
        continue;
      }
      const r = await recoverCaptureDir(d.dir, o.logger);
      reportRecovery(r, o.logger, o.metrics);
      recovered.push(...r.recovered);
      dirs.held.set(d.dir, { ...d, lock, closing: false, contents: null });
      o.logger.info(
        { dir: d.dir, files: contents.files + contents.in_progress_files },
        'previous capture dir still holds data: syncing it until it is empty',
      );
    }
    await dirs.persist();
    return { dirs, recovered };
  }

  get current(): string {
    return this.currentDir;
  }

  /** The draining dirs, oldest switch first. */
  list(): DrainingState[] {
    return [...this.held.values()]
      .map(({ lock: _lock, ...d }) => ({ ...d }))
      .sort((a, b) => a.since_ms - b.since_ms);
  }

  draining(): string[] {
    return this.list().map((d) => d.dir);
  }

  /** Measure now and then every checkMs. */
  start(): void {
    this.stopped = false;
    void this.kick();
  }

  /** Measure the draining dirs now (after the running check); drop the empty ones. */
  kick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    const run = async () => {
      await this.check().catch((err: unknown) =>
        this.o.logger.error(
          { err: errorMessage(err) },
          'checking the draining capture dirs failed',
        ),
      );
      if (!this.stopped && this.held.size > 0)
        this.timer = this.o.clock.setTimer(
          () => void this.kick(),
          // a dir with many files is walked less often: at most a tenth of the time goes to it
          Math.max(this.o.checkMs ?? 1000, 10 * this.lastCheckMs),
        );
    };
    const p = (this.checking ?? Promise.resolve()).then(run);
    this.checking = p.finally(() => {
      if (this.checking === p) this.checking = null;
    });
    return p;
  }

  private async check(): Promise<void> {
    const started = Date.now();
    try {
      await this.checkNow();
    } finally {
      this.lastCheckMs = Date.now() - started;
    }
  }

  private async checkNow(): Promise<void> {
    let changed = false;
    for (const h of [...this.held.values()]) {
      if (h.closing) continue;
      h.contents = await dirContents(h.dir);
      if (!isDrained(h.contents)) continue;
      await this.onDrained(h.dir);
      this.held.delete(h.dir);
      await h.lock?.release();
      changed = true;
      this.o.logger.info(
        {
          dir: h.dir,
          failed_files: h.contents.failed_files,
          draining_for_ms: this.o.clock.now() - h.since_ms,
        },
        h.contents.failed_files > 0
          ? 'previous capture dir drained: every capture file synced; the files in its failed/ stay for you to inspect (wharf data ls)'
          : 'previous capture dir drained: every capture file synced; no longer watched',
      );
    }
    if (changed) await this.persist();
  }

  private async persist(): Promise<void> {
    const list = this.list().map((d) => ({ dir: d.dir, since_ms: d.since_ms }));
    await writeDraining(this.currentDir, list).catch((err: unknown) =>
      this.o.logger.warn(
        { dir: this.currentDir, err: errorMessage(err) },
        'cannot record the draining capture dirs; after a restart they are not synced (wharf sync --dir DIR does it by hand)',
      ),
    );
  }

  /**
   * Makes `next` the current dir: refuses a dir inside (or holding) a dir of ours, locks it (or
   * takes it back from the draining ones), recovers what a crash left there, and records the
   * current dir as draining, in the new dir's list, before anything is written there. Returns the
   * previous dir; `closed(prev)` must follow once the previous store finished its files.
   */
  async switchTo(nextDir: string): Promise<string> {
    const next = path.resolve(nextDir);
    const prev = this.currentDir;
    if (next === prev) return prev;
    for (const d of [prev, ...this.held.keys()]) {
      if (d === next) continue;
      if (within(next, d) || within(d, next))
        throw new WharfError(
          'CONFIG_INVALID',
          `capture_dir ${next} ${within(next, d) ? 'is inside' : 'holds'} ${d}, a capture dir this gateway ${d === prev ? 'writes' : 'still drains'}; choose a directory outside it`,
        );
    }
    await fsp.mkdir(next, { recursive: true }).catch((err: unknown) => {
      throw new WharfError(
        'CAPTURE_IO',
        `cannot create capture_dir ${next}: ${errorMessage(err)}; capture stays in ${prev}`,
        { cause: err },
      );
    });
    const back = this.held.get(next);
    let lock: CaptureDirLock | undefined;
    if (back !== undefined) lock = back.lock;
    else if (this.currentLock !== undefined) {
      lock = await CaptureDirLock.acquire(next, this.o.logger); // CAPTURE_LOCKED: the plan stays
      try {
        const r = await recoverCaptureDir(next, this.o.logger);
        reportRecovery(r, this.o.logger, this.o.metrics);
      } catch (err) {
        await lock.release().catch(() => undefined);
        throw err;
      }
    }
    const since = this.o.clock.now();
    const list = [
      ...this.list()
        .filter((d) => d.dir !== next)
        .map((d) => ({ dir: d.dir, since_ms: d.since_ms })),
      { dir: prev, since_ms: since },
    ];
    try {
      await writeDraining(next, list);
    } catch (err) {
      if (back === undefined) await lock?.release().catch(() => undefined);
      throw new WharfError(
        'CAPTURE_IO',
        `cannot write ${next}: ${errorMessage(err)}; capture stays in ${prev}`,
        { cause: err },
      );
    }
    this.held.delete(next);
    this.held.set(prev, {
      dir: prev,
      since_ms: since,
      lock: this.currentLock,
      closing: true,
      contents: null,
    });
    this.currentDir = next;
    this.currentLock = lock;
    await writeDraining(prev, []).catch(() => undefined); // its list moved into the new dir
    return prev;
  }

  /** The previous dir's store finished its files: it can be measured and dropped once synced. */
  closed(dir: string): void {
    const h = this.held.get(dir);
    if (h !== undefined) h.closing = false;
    void this.kick();
  }

  /** Stops checking and releases the locks (the current dir's too). */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.checking?.catch(() => undefined);
    for (const h of this.held.values()) await h.lock?.release().catch(() => undefined);
    await this.currentLock?.release();
  }
}
