/**
 * The sync worker: every interval (and on `syncNow()`), ship finished `.capture` files oldest
 * first to the target, delete each only after the target acknowledged it. `.prog` files are never
 * touched. Errors back off exponentially (~200 ms, capped, jittered) and poll slowly while the
 * target stays unreachable; a file the target rejects moves to `failed/` with the reason.
 * Up to `concurrency` uploads run at once (at least one, even on one CPU).
 */
import { listFinishedFiles, type CaptureFileEntry } from '../capture/files.js';
import type { SetAsideContext } from './set-aside.js';
import { prepareForUpload, sendFile } from './ship-file.js';
import { realClock, type Clock, type TimerHandle } from '../shared/clock.js';
import { WharfError, errorMessage } from '../shared/errors.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import { backoffDelay, DEFAULT_BACKOFF, isOffline, type BackoffOptions } from './backoff.js';
import { writeStatus, type SyncStatus } from './status-file.js';
import type { SyncTarget } from './target.js';
import type { Prepared } from './prepare.js';
import type { PassResult, SyncWorkerOptions } from './worker-options.js';
import { syncMetrics, type SyncMetrics } from './metrics.js';

export type { PassResult, SyncWorkerOptions } from './worker-options.js';

export class SyncWorker {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private readonly concurrency: number;
  private target: SyncTarget | null;
  private intervalMs: number;
  private disabled: boolean;
  private timer: TimerHandle | null = null;
  private running: Promise<PassResult> | null = null;
  private followUp: Promise<PassResult> | null = null;
  private started = false;
  private stopping = false;
  private abort = new AbortController();
  private statusWrite: Promise<void> = Promise.resolve();
  private readonly st: SyncStatus;
  private readonly m: SyncMetrics | null;
  private readonly aside: SetAsideContext;

  constructor(private readonly opts: SyncWorkerOptions) {
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? nullLogger;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.random = opts.random ?? Math.random;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4));
    this.target = opts.target;
    this.intervalMs = Math.max(1, opts.intervalMs);
    this.disabled = opts.disabled ?? false;
    this.st = {
      version: 1,
      pid: process.pid,
      updated_ms: this.clock.now(),
      target: this.target?.description ?? null,
      interval_ms: this.intervalMs,
      disabled: this.disabled,
      state: 'idle',
      last_sync_ms: null,
      last_attempt_ms: null,
      last_error: null,
      consecutive_failures: 0,
      next_attempt_ms: null,
      uploaded_files: 0,
      uploaded_records: 0,
      uploaded_bytes: 0,
      failed_files: 0,
      backlog: { files: 0, bytes: 0 },
    };
    this.m = opts.metrics === undefined ? null : syncMetrics(opts.metrics);
    this.aside = {
      captureDir: opts.captureDir,
      logger: this.logger,
      st: this.st,
      m: this.m,
      now: () => this.clock.now(),
      noteError: (e) => this.noteError(e),
    };
  }

  /** Starts the schedule: a first pass at once, then every interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stopping = false;
    if (this.abort.signal.aborted) this.abort = new AbortController();
    this.schedule(0);
  }

  /** Stops the schedule and waits for a running pass (uploads in flight finish or time out). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    this.abort.abort(); // uploads in flight end now; their files stay for the next start
    await this.followUp?.catch(() => undefined);
    await this.running?.catch(() => undefined);
    this.st.state = 'stopped';
    this.st.next_attempt_ms = null;
    await this.persist();
    await this.statusWrite;
  }

  /** Live settings (config reload). */
  configure(s: { intervalMs?: number; disabled?: boolean; target?: SyncTarget | null }): void {
    if (s.intervalMs !== undefined) this.intervalMs = Math.max(1, s.intervalMs);
    if (s.disabled !== undefined) this.disabled = s.disabled;
    if (s.target !== undefined) {
      this.target = s.target;
      this.st.consecutive_failures = 0;
    }
    this.st.interval_ms = this.intervalMs;
    this.st.disabled = this.disabled;
    this.st.target = this.target?.description ?? null;
    if (this.started && this.running === null) this.schedule(0);
  }

  status(): SyncStatus {
    return {
      ...this.st,
      backlog: { ...this.st.backlog },
      last_error: this.st.last_error === null ? null : { ...this.st.last_error },
    };
  }

  /** Runs a pass now (after the running one, if any) and resolves with its result. */
  syncNow(): Promise<PassResult> {
    if (this.running === null) return this.runPass();
    this.followUp ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.followUp = null;
        return this.runPass();
      });
    return this.followUp;
  }

  private schedule(delayMs: number): void {
    if (!this.started || this.stopping) return;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.st.next_attempt_ms = this.clock.now() + delayMs;
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      void this.syncNow().catch((err: unknown) =>
        this.logger.error({ err: errorMessage(err) }, 'sync pass crashed'),
      );
    }, delayMs);
  }

  private runPass(): Promise<PassResult> {
    const p = this.pass().finally(() => {
      this.running = null;
      const f = this.st.consecutive_failures;
      this.schedule(f > 0 ? backoffDelay(f, this.backoff, this.random) : this.intervalMs);
      // the pass is done once its status is on disk: `wharf status` right after `wharf sync now`
      // shows it, and nothing writes into the capture dir after the pass has answered
      return this.persist();
    });
    this.running = p;
    return p;
  }

  private async pass(): Promise<PassResult> {
    const res: PassResult = {
      uploaded: 0,
      alreadyStored: 0,
      failed: 0,
      records: 0,
      bytes: 0,
      remaining: 0,
      error: null,
    };
    const target = this.target;
    let files: CaptureFileEntry[];
    try {
      files = await listFinishedFiles(this.opts.captureDir);
    } catch (err) {
      res.error = new WharfError(
        'CAPTURE_IO',
        `cannot list ${this.opts.captureDir}: ${errorMessage(err)}`,
        { cause: err },
      );
      this.noteError(res.error);
      return res;
    }
    this.setBacklog(files);
    if (this.disabled || target === null) {
      this.st.state = this.disabled ? 'disabled' : 'no_target';
      res.remaining = files.length;
      return res;
    }
    this.st.state = 'syncing';
    this.st.last_attempt_ms = this.clock.now();
    let next = 0;
    let done = 0;
    const more = (): boolean => res.error === null && !this.stopping && next < files.length;
    // each lane reads, verifies and hashes its next file while the current upload waits for its
    // ack (one file of read-ahead per lane), so the target is not idle between acks and uploads
    const lane = async (): Promise<void> => {
      let ahead: Promise<Prepared | null> | null = null;
      while (ahead !== null || more()) {
        const prep: Prepared | null = await (ahead ??
          prepareForUpload(this.aside, files[next++]!, res, files));
        ahead = more() ? prepareForUpload(this.aside, files[next++]!, res, files) : null;
        if (prep === null) done++;
        else if (res.error === null && !this.stopping) {
          if (await sendFile(this.aside, prep, target, this.abort.signal, res, files)) done++;
        }
        if (res.error !== null || this.stopping) {
          await ahead;
          ahead = null;
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.concurrency, Math.max(1, files.length)) }, lane),
    );
    res.remaining = files.length - done;
    if (res.error === null) {
      this.st.consecutive_failures = 0;
      this.st.last_sync_ms = this.clock.now();
      this.st.state = 'idle';
      // last_error stays (with its time) so `wharf status` can show what happened
    } else {
      this.st.consecutive_failures++;
      this.st.state = isOffline(this.st.consecutive_failures, this.backoff)
        ? 'offline'
        : 'retrying';
    }
    try {
      // the truth: what is still waiting now (an upload refused by the target leaves its file)
      const left = await listFinishedFiles(this.opts.captureDir);
      this.setBacklog(left);
      res.remaining = left.length;
    } catch {
      // keep the previous figure; the next pass lists again
    }
    return res;
  }

  private noteError(e: WharfError): void {
    this.st.last_error = { code: e.code, message: e.message, at_ms: this.clock.now() };
    this.m?.errors.inc({ code: e.code });
    this.logger.warn(
      { code: e.code, err: e.message, failures: this.st.consecutive_failures + 1 },
      'sync attempt failed',
    );
  }

  private setBacklog(files: CaptureFileEntry[]): void {
    const bytes = files.reduce((s, f) => s + f.size, 0);
    this.st.backlog = { files: files.length, bytes };
    this.m?.backlogFiles.set(undefined, files.length);
    this.m?.backlogBytes.set(undefined, bytes);
  }

  private persist(): Promise<void> {
    if (this.opts.persistStatus === false) return Promise.resolve();
    this.st.updated_ms = Date.now();
    const snapshot = this.status();
    this.statusWrite = this.statusWrite
      .then(() => writeStatus(this.opts.captureDir, snapshot))
      .catch((err: unknown) =>
        this.logger.warn({ err: errorMessage(err) }, 'cannot write sync-status.json'),
      );
    return this.statusWrite;
  }
}
