/**
 * MemoryCaptureStore: a first-class fake of the CaptureStore contract for other modules' tests.
 * It keeps "files" in memory with the same rules as the file store (one open file per key, a new
 * file on meta change or rotation, durable only after flush) and can be told to fail flushes, so
 * error paths are testable without a disk.
 *
 *   const store = new MemoryCaptureStore();
 *   store.append(key, meta, rec); await store.flush();
 *   store.durableRecords(key)   // what a crash right now would leave on disk
 */
import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../shared/clock.js';
import { WharfError } from '../shared/errors.js';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import {
  assertRecord,
  closedError,
  emptyStats,
  sameMeta,
  type CaptureStore,
  type CaptureStoreStats,
} from './capture-store.js';
import type { CaptureHeader } from './file-format.js';

export interface MemoryCaptureFile {
  key: string;
  header: CaptureHeader;
  records: CaptureRecord[];
  /** How many of `records` are durable (flushed). */
  durableCount: number;
  finished: boolean;
}

export interface MemoryCaptureStoreOptions {
  /** With a clock, the store flushes on its own every `flushIntervalMs`. */
  clock?: Clock;
  flushIntervalMs?: number;
  /** Rotate a file after this many records (default: no limit). */
  maxRecordsPerFile?: number;
}

export class MemoryCaptureStore implements CaptureStore {
  private readonly all: MemoryCaptureFile[] = [];
  private readonly open = new Map<string, MemoryCaptureFile>();
  private readonly sealed = new Set<MemoryCaptureFile>();
  private readonly s: CaptureStoreStats = emptyStats();
  private closed = false;
  private failure: Error | null = null;
  private timer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly opts: MemoryCaptureStoreOptions = {}) {
    this.arm();
  }

  private arm(): void {
    const { clock, flushIntervalMs } = this.opts;
    if (clock === undefined || this.closed) return;
    this.timer = clock.setTimer(() => {
      this.timer = undefined;
      this.flush().then(
        () => this.arm(),
        () => this.arm(),
      );
    }, flushIntervalMs ?? 1000);
  }

  /** Make every flush fail with this error (null to heal), as a full or broken disk would. */
  failFlushes(err: Error | null): void {
    this.failure = err;
  }

  append(key: string, meta: CaptureMeta, rec: CaptureRecord): void {
    if (this.closed) throw closedError();
    assertRecord(rec);
    let f = this.open.get(key);
    if (
      f !== undefined &&
      (!sameMeta(f.header.meta, meta) ||
        (this.opts.maxRecordsPerFile !== undefined &&
          f.records.length >= this.opts.maxRecordsPerFile))
    ) {
      this.sealed.add(f);
      this.open.delete(key);
      f = undefined;
    }
    if (f === undefined) {
      f = {
        key,
        header: {
          version: 1,
          file_id: randomUUID(),
          created_ms: this.opts.clock?.now() ?? Date.now(),
          meta,
        },
        records: [],
        durableCount: 0,
        finished: false,
      };
      this.open.set(key, f);
      this.all.push(f);
    }
    f.records.push(structuredClone(rec));
    this.s.appended++;
  }

  flush(): Promise<void> {
    const run = this.chain.then(() => this.doFlush());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doFlush(): Promise<void> {
    await Promise.resolve();
    if (this.failure !== null) {
      this.s.writeErrors++;
      this.s.lastError = this.failure.message;
      throw new WharfError('CAPTURE_IO', `capture flush failed: ${this.failure.message}`, {
        cause: this.failure,
      });
    }
    for (const f of this.all) {
      this.s.durable += f.records.length - f.durableCount;
      f.durableCount = f.records.length;
      if (this.sealed.has(f)) {
        f.finished = true;
        this.sealed.delete(f);
        this.s.filesFinished++;
      }
    }
    this.s.flushes++;
    this.s.lastFlushAt = this.opts.clock?.now() ?? Date.now();
    this.s.lastFlushMs = 0;
    this.s.lastError = null;
  }

  async rotateAll(): Promise<void> {
    for (const f of this.open.values()) this.sealed.add(f);
    this.open.clear();
    await this.flush();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.opts.clock?.clearTimer(this.timer);
    this.timer = undefined;
    await this.rotateAll();
  }

  stats(): CaptureStoreStats {
    let pending = 0;
    let open = 0;
    for (const f of this.all) {
      pending += f.records.length - f.durableCount;
      if (!f.finished) open++;
    }
    return { ...this.s, pendingRecords: pending, filesOpen: open };
  }

  /** Every file so far, oldest first (copies). */
  files(): MemoryCaptureFile[] {
    return this.all.map((f) => ({ ...f, records: f.records.slice() }));
  }

  /** Durable records of a key (what survives a crash now), in append order across files. */
  durableRecords(key: string): CaptureRecord[] {
    return this.all.filter((f) => f.key === key).flatMap((f) => f.records.slice(0, f.durableCount));
  }

  /** Every appended record of a key, durable or not. */
  records(key: string): CaptureRecord[] {
    return this.all.filter((f) => f.key === key).flatMap((f) => f.records);
  }
}
