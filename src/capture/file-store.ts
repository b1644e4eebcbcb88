/**
 * FileCaptureStore: the CaptureStore on disk (format in file-format.ts, docs/capture-files.md).
 *
 * append() only encodes into an in-memory buffer per key (no syscall). A flush, on the store's own
 * timer at most `flush_interval_ms` apart or on demand, writes each buffer with one positional
 * write and one fdatasync per open file. A file rotates at `maximum_capture_file_size_bytes`
 * (checked on append, so a fast stream is split into several files per flush) or at
 * `maximum_capture_file_age_ms` (checked at flush): fsync, rename `.prog` → `.capture`, fsync dir.
 *
 * When writes keep failing the backlog grows in memory up to `maxPendingBytes`; beyond it records
 * are refused (counted in `dropped`) and, once there is room again, a `backlog_overflow` gap record
 * says what was lost. Nothing is dropped silently.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Clock, TimerHandle } from '../shared/clock.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import type { DataManagerSettings } from '../config/plan.js';
import {
  assertRecord,
  closedError,
  emptyStats,
  relativeDirFor,
  sameMeta,
  type CaptureStore,
  type CaptureStoreStats,
} from './capture-store.js';
import { SinkPool } from './file-store-buffers.js';
import { overflowGap, refuse, type Refused } from './file-store-backlog.js';
import { DurableDirs } from './file-store-dirs.js';
import { WriteErrors, type IoFailure } from './file-store-errors.js';
import { Segment } from './file-store-segment.js';
import { realCaptureIo, type CaptureIo } from './files.js';

export interface FileCaptureStoreOptions {
  dir: string;
  settings: Pick<
    DataManagerSettings,
    'flush_interval_ms' | 'maximum_capture_file_size_bytes' | 'maximum_capture_file_age_ms'
  >;
  clock: Clock;
  logger: Logger;
  /** File operations (default: node:fs); tests inject a recording or failing one. */
  io?: CaptureIo;
  /** In-memory backlog limit across all keys (default 64 MiB). */
  maxPendingBytes?: number;
  /** Called after each file is finished (renamed to `.capture`): the disk budget checks then. */
  onFileFinished?: (path: string) => void;
}

/** Unwritten bytes per file beyond which they are written (not synced) before the next flush. */
const WRITE_BEHIND_BYTES = 64 * 1024;

interface KeyState {
  meta: CaptureMeta;
  /** Oldest first; the last one is current unless sealed. */
  segments: Segment[];
  /** Records refused while the backlog was full, not yet accounted by a gap. */
  refused: Refused | null;
  /** Tail of this key's serialized file work. */
  busy: Promise<void>;
  kickQueued: boolean;
}

export class FileCaptureStore implements CaptureStore {
  private readonly keys = new Map<string, KeyState>();
  private readonly s: CaptureStoreStats = emptyStats();
  private readonly dirs: DurableDirs;
  private readonly errors: WriteErrors;
  private readonly sinks = new SinkPool(() => this.opts.settings.maximum_capture_file_size_bytes);
  private readonly maxPending: number;
  private readonly io: CaptureIo;
  private pendingBytes = 0;
  private lastCreated = 0;
  private closed = false;
  private timer: TimerHandle | undefined;
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;

  constructor(private readonly opts: FileCaptureStoreOptions) {
    this.maxPending = opts.maxPendingBytes ?? 64 * 1024 * 1024;
    this.io = opts.io ?? realCaptureIo;
    this.dirs = new DurableDirs(this.io);
    this.errors = new WriteErrors(opts.dir, opts.logger, this.s);
    this.arm(opts.settings.flush_interval_ms);
  }

  get dir(): string {
    return this.opts.dir;
  }

  private arm(delay: number): void {
    if (this.closed) return;
    this.timer = this.opts.clock.setTimer(
      () => {
        this.timer = undefined;
        const started = this.opts.clock.now();
        this.flush().then(
          () => this.arm(this.opts.settings.flush_interval_ms - (this.opts.clock.now() - started)),
          () => this.arm(this.opts.settings.flush_interval_ms - (this.opts.clock.now() - started)),
        );
      },
      Math.max(0, delay),
    );
  }

  append(key: string, meta: CaptureMeta, rec: CaptureRecord): void {
    if (this.closed) throw closedError();
    assertRecord(rec);
    let st = this.keys.get(key);
    if (st === undefined) {
      st = { meta, segments: [], refused: null, busy: Promise.resolve(), kickQueued: false };
      this.keys.set(key, st);
    } else if (st.meta !== meta) {
      if (!sameMeta(st.meta, meta)) this.seal(st);
      st.meta = meta;
    }
    if (this.pendingBytes >= this.maxPending) {
      st.refused = refuse(st.refused, rec);
      this.s.dropped++;
      return;
    }
    if (st.refused !== null) {
      const gap = overflowGap(st.refused, this.maxPending, this.errors.last);
      st.refused = null;
      this.add(st, gap);
    }
    this.add(st, rec);
  }

  private add(st: KeyState, rec: CaptureRecord): void {
    let seg = st.segments[st.segments.length - 1];
    if (seg === undefined || seg.sealed) {
      // Strictly increasing creation times (1 ms apart at least) so names sort in creation order.
      const now = Math.max(Math.floor(this.opts.clock.now()), this.lastCreated + 1);
      this.lastCreated = now;
      seg = new Segment(
        this.io,
        path.join(this.opts.dir, relativeDirFor(st.meta)),
        st.meta,
        randomUUID(),
        now,
        this.sinks.take(),
      );
      this.pendingBytes += seg.pending.length;
      st.segments.push(seg);
      this.s.filesOpen++;
    }
    this.pendingBytes += seg.add(rec);
    this.s.appended++;
    if (seg.totalBytes >= this.opts.settings.maximum_capture_file_size_bytes) {
      seg.sealed = true;
      this.kick(st);
    } else if (seg.pending.length >= WRITE_BEHIND_BYTES) this.kick(st);
  }

  private seal(st: KeyState): void {
    const seg = st.segments[st.segments.length - 1];
    if (seg !== undefined) seg.sealed = true;
  }

  flush(): Promise<void> {
    if (this.queued !== null) return this.queued;
    const run = this.running.then(() => {
      this.queued = null;
      return this.doFlush();
    });
    this.queued = run;
    this.running = run.catch(() => undefined);
    return run;
  }

  private async doFlush(): Promise<void> {
    const started = this.opts.clock.now();
    const maxAge = this.opts.settings.maximum_capture_file_age_ms;
    const work: Promise<IoFailure | null>[] = [];
    for (const st of this.keys.values()) {
      const cur = st.segments[st.segments.length - 1];
      if (cur !== undefined && !cur.sealed && maxAge > 0 && started - cur.createdMs >= maxAge)
        cur.sealed = true;
      // Cover what was appended before this flush, not what arrives while it runs (a stream faster
      // than the disk would otherwise keep one flush from ever completing).
      const last = st.segments[st.segments.length - 1];
      if (last !== undefined) work.push(this.onKey(st, () => last));
    }
    const errors = (await Promise.all(work)).filter((e): e is IoFailure => e !== null);
    this.s.flushes++;
    this.s.lastFlushMs = this.opts.clock.now() - started;
    if (errors.length === 0) {
      this.s.lastFlushAt = this.opts.clock.now();
      this.errors.recovered();
      return;
    }
    throw this.errors.flushFailed(errors);
  }

  /**
   * Runs flushKey after any earlier work on the same key, so a key's files are handled in order.
   * `stopAt` picks (when the work starts) the last segment to handle; undefined = nothing to do.
   */
  private onKey(
    st: KeyState,
    stopAt: () => Segment | undefined,
    writeBehind = false,
  ): Promise<IoFailure | null> {
    const run = st.busy.then(() => {
      const target = stopAt();
      return target === undefined ? null : this.flushKey(st, target, writeBehind);
    });
    st.busy = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Between flushes, keep memory small: a file that reached its size limit is finished now (not
   * at the next flush), and a large unwritten buffer is written to the page cache now (synced at
   * the next flush as usual). Memory then holds about WRITE_BEHIND_BYTES per key.
   */
  private kick(st: KeyState): void {
    if (st.kickQueued || this.closed) return;
    st.kickQueued = true;
    const upToNow = (): Segment | undefined => {
      st.kickQueued = false;
      return st.segments[st.segments.length - 1];
    };
    void this.onKey(st, upToNow, true).then((e) => {
      if (e !== null) this.errors.note([e]);
    });
  }

  /**
   * Segments of one key in order, up to and including `stopAt`: sealed ones are written and
   * finished; the open one is written and, unless `writeBehind`, synced. Stops at the first error
   * so file order is kept. Never throws.
   */
  private async flushKey(
    st: KeyState,
    stopAt: Segment,
    writeBehind: boolean,
  ): Promise<IoFailure | null> {
    while (st.segments.length > 0 && !stopAt.finished) {
      const seg = st.segments[0]!;
      try {
        const bytes = await seg.write((d) => this.dirs.ensure(d));
        this.pendingBytes -= bytes;
        this.s.bytesWritten += bytes;
        if (!seg.sealed) {
          if (!writeBehind) {
            const synced = await seg.sync(); // (not `durable += await …`: that would read durable before the await)
            this.s.durable += synced;
          }
          return null;
        }
        if (seg.pending.length > 0) continue; // cannot happen once sealed; kept for safety
        const finished = await seg.finish(); // its fsync covers the last write
        this.s.durable += finished;
        st.segments.shift();
        this.sinks.recycle(seg.pending);
        this.s.filesOpen--;
        this.s.filesFinished++;
        this.opts.onFileFinished?.(seg.finalPath);
        if (seg === stopAt) return null;
      } catch (err) {
        this.dirs.forget(seg.dir); // re-create it next time if someone removed it
        return { path: seg.progPath, err };
      }
    }
    return null;
  }

  async rotateAll(): Promise<void> {
    for (const st of this.keys.values()) this.seal(st);
    await this.flush();
  }

  /** Idempotent; if finishing fails it rejects, and calling close() again retries. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.opts.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.rotateAll();
  }

  keyFor(meta: CaptureMeta): string | undefined {
    for (const [key, st] of this.keys) if (sameMeta(st.meta, meta)) return key;
    return undefined;
  }

  stats(): CaptureStoreStats {
    let pendingRecords = 0;
    for (const st of this.keys.values())
      for (const seg of st.segments) pendingRecords += seg.pendingRecords;
    return { ...this.s, pendingRecords, pendingBytes: this.pendingBytes };
  }
}
