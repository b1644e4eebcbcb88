/**
 * The capture store contract: where collectors put records. Two implementations pass the same
 * contract suite (test/capture/files/store-contract.ts): `FileCaptureStore` (capture files on
 * disk, crash-safe) and `MemoryCaptureStore` (a first-class fake for tests).
 *
 *  - `append` is synchronous, never blocks and never throws on I/O. It throws only for programming
 *    errors: after `close()` (CAPTURE_CLOSED) or for a record that is not a capture record.
 *  - A record appended before `flush()` is called is durable once that flush resolves. I/O errors
 *    reject `flush()` (CAPTURE_IO) and show in `stats()`; the records stay queued and are retried.
 *  - The store also flushes on its own, at most `flush_interval_ms` apart.
 *  - `key` identifies one stream of records (one collector); at most one file per key is open.
 *    Pass the same `meta` object for a key; a different meta starts a new file.
 */
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import { WharfError } from '../shared/errors.js';

export interface CaptureStoreStats {
  /** Records accepted by append(). */
  appended: number;
  /** Records written and fsynced (or, for the memory store, flushed). */
  durable: number;
  /** Records accepted but not yet durable. */
  pendingRecords: number;
  /** Bytes waiting in memory to be written. */
  pendingBytes: number;
  /** Records refused because the in-memory backlog was full (each run becomes a backlog_overflow gap). */
  dropped: number;
  bytesWritten: number;
  filesOpen: number;
  filesFinished: number;
  flushes: number;
  /** Clock time the last successful flush finished, null before the first. */
  lastFlushAt: number | null;
  /** Duration of the last flush in ms. */
  lastFlushMs: number | null;
  writeErrors: number;
  /** Message of the last I/O error, null when the last flush succeeded. */
  lastError: string | null;
}

export interface CaptureStore {
  append(key: string, meta: CaptureMeta, rec: CaptureRecord): void;
  flush(): Promise<void>;
  /** Finish every open file (the next record of a key starts a new file), then flush. */
  rotateAll(): Promise<void>;
  /** Stop the timer, finish every file. Further appends throw CAPTURE_CLOSED. */
  close(): Promise<void>;
  stats(): CaptureStoreStats;
  /**
   * The key records of `meta` are appended under now, if any (optional): records wharf adds about a
   * component (disk budget gaps) then go into that stream's current file, not a file of their own.
   */
  keyFor?(meta: CaptureMeta): string | undefined;
}

export function emptyStats(): CaptureStoreStats {
  return {
    appended: 0,
    durable: 0,
    pendingRecords: 0,
    pendingBytes: 0,
    dropped: 0,
    bytesWritten: 0,
    filesOpen: 0,
    filesFinished: 0,
    flushes: 0,
    lastFlushAt: null,
    lastFlushMs: null,
    writeErrors: 0,
    lastError: null,
  };
}

/** The key wharf itself uses for records it writes about a component (disk budget gaps). */
export function captureKeyFor(meta: CaptureMeta): string {
  return `${meta.component_type}/${meta.component_name}/${meta.method_name}`;
}

export function closedError(): WharfError {
  return new WharfError(
    'CAPTURE_CLOSED',
    'capture store is closed: append() was called after close(); stop collectors before closing the store',
  );
}

export function assertRecord(rec: CaptureRecord): void {
  if (rec === null || typeof rec !== 'object' || (rec.kind !== 'reading' && rec.kind !== 'gap')) {
    throw new WharfError(
      'INTERNAL',
      `capture store: not a capture record (kind must be 'reading' or 'gap')`,
    );
  }
}

export function sameMeta(a: CaptureMeta, b: CaptureMeta): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** One path segment from a meta field: no separators, never '.' or '..' or empty. */
export function pathSegment(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._@+=-]/g, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? `_${cleaned}` : cleaned;
}

/** `<component_type>/<component_name>/<method>` relative to the capture dir. */
export function relativeDirFor(meta: CaptureMeta): string {
  return `${pathSegment(meta.component_type)}/${pathSegment(meta.component_name)}/${pathSegment(meta.method_name)}`;
}

/** `<time>_<file_id>`: ISO time with ':' → '-' so names sort chronologically and stay portable. */
export function baseNameFor(createdMs: number, fileId: string): string {
  return `${new Date(createdMs).toISOString().replace(/:/g, '-')}_${fileId}`;
}

/** The creation time encoded in a capture file name, or null. */
export function timeFromName(name: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2}\.\d{3}Z)_/.exec(name);
  if (m === null) return null;
  const t = Date.parse(`${m[1]}:${m[2]}:${m[3]}`);
  return Number.isFinite(t) ? t : null;
}
