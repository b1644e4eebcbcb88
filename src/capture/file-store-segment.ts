/**
 * One capture file of the FileCaptureStore, from first record to `.capture`.
 *
 * Bytes accumulate in memory (`pending`, starting with the header) and are written by `flushTo()`
 * with positional writes at the confirmed end of the file, so a failed or short write is simply
 * rewritten at the next flush. Finishing a sealed segment: fsync, close, rename `.prog` →
 * `.capture`, fsync the directory. Each step is idempotent and retried after an error.
 */
import path from 'node:path';
import type { CaptureMeta, CaptureRecord } from '../shared/record.js';
import { baseNameFor } from './capture-store.js';
import {
  ByteSink,
  encodeHeader,
  FINISHED_SUFFIX,
  IN_PROGRESS_SUFFIX,
  RecordEncoder,
} from './file-format.js';
import { writeFully, type CaptureFileHandle, type CaptureIo } from './files.js';

export class Segment {
  readonly pending: ByteSink;
  private readonly enc = new RecordEncoder();
  /** Records in `pending` not yet written. */
  pendingRecords = 0;
  /** Records written but not yet synced. */
  private unsynced = 0;
  private dirty = false;
  /** Records appended in total. */
  records = 0;
  /** Bytes written to the file (synced or not). */
  writtenBytes = 0;
  sealed = false;
  finished = false;
  private fh: CaptureFileHandle | null = null;
  private exists = false;
  private dirSynced = false;
  private closedFile = false;
  private renamed = false;
  private hadError = false;
  readonly progPath: string;
  readonly finalPath: string;

  constructor(
    private readonly io: CaptureIo,
    readonly dir: string,
    readonly meta: CaptureMeta,
    readonly fileId: string,
    readonly createdMs: number,
    /** An empty buffer to fill (the store recycles buffers of finished files). */
    sink: ByteSink,
  ) {
    const base = path.join(dir, baseNameFor(createdMs, fileId));
    this.progPath = base + IN_PROGRESS_SUFFIX;
    this.finalPath = base + FINISHED_SUFFIX;
    sink.reset();
    this.pending = sink;
    this.pending.append(encodeHeader({ version: 1, file_id: fileId, created_ms: createdMs, meta }));
  }

  /** Encode a record into memory; returns bytes added. */
  add(rec: CaptureRecord): number {
    const n = this.enc.appendTo(this.pending, rec);
    this.pendingRecords++;
    this.records++;
    return n;
  }

  get totalBytes(): number {
    return this.writtenBytes + this.pending.length;
  }

  get isOpen(): boolean {
    return this.fh !== null;
  }

  /**
   * Write pending bytes at the end of what was written before (no sync). A failed or short write
   * leaves `writtenBytes` unchanged, so the retry overwrites the torn bytes. Returns bytes written.
   */
  async write(ensureDir: (dir: string) => Promise<void>): Promise<number> {
    const n = this.pending.length;
    const recs = this.pendingRecords;
    if (n === 0) return 0;
    try {
      if (this.fh === null) {
        await ensureDir(this.dir);
        this.fh = await this.io.open(this.progPath, this.exists ? 'r+' : 'wx');
        this.exists = true;
      }
      // A view of the first n bytes: appends during the write only add after n (or reallocate).
      await writeFully(this.fh, this.pending.buf.subarray(0, n), this.writtenBytes);
    } catch (err) {
      this.hadError = true;
      throw err;
    }
    this.pending.consume(n);
    this.pendingRecords -= recs;
    this.writtenBytes += n;
    this.unsynced += recs;
    this.dirty = true;
    return n;
  }

  /**
   * fdatasync what was written (and, once, the directory that holds the new file, so its entry
   * survives a power cut too). Returns the records this made durable.
   */
  async sync(): Promise<number> {
    if (this.fh !== null && this.dirty) {
      await this.fh.datasync();
      this.dirty = false;
    }
    if (this.exists && !this.dirSynced) {
      await this.io.fsyncDir(this.dir);
      this.dirSynced = true;
    }
    const r = this.unsynced;
    this.unsynced = 0;
    return r;
  }

  /**
   * For a sealed segment whose bytes are all written: fsync, close, rename `.prog` → `.capture`,
   * fsync the directory. Each step runs once even when a later one fails and is retried.
   * Returns the records this made durable.
   */
  async finish(): Promise<number> {
    if (this.finished) return 0;
    if (this.fh !== null && !this.closedFile) {
      if (this.hadError) await this.fh.truncate(this.writtenBytes);
      await this.fh.sync();
      await this.fh.close();
      this.closedFile = true;
      this.fh = null;
    }
    if (!this.renamed) {
      await this.io.rename(this.progPath, this.finalPath);
      this.renamed = true;
    }
    await this.io.fsyncDir(this.dir);
    this.finished = true;
    const r = this.unsynced;
    this.unsynced = 0;
    return r;
  }

  /** Close the handle without finishing (used only when giving up at process exit). */
  async abandon(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh !== null) await fh.close().catch(() => undefined);
  }
}
