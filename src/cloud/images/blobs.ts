/**
 * Content-addressed image bytes for the SQLite store: `<store file>.blobs/ab/abcdef…` (SHA-256).
 * A blob is written (temp file, fsync, rename, fsync dir) before the rows naming it commit, so a
 * committed image always has its bytes; a blob whose rows rolled back stays unreferenced (harmless:
 * the same bytes uploaded again reuse it). An in-memory store keeps them in memory.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
  existsSync,
} from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { WharfError, errorMessage } from '../../shared/errors.js';

export interface BlobStore {
  /** Durable when it returns. */
  put(sha256: string, bytes: Uint8Array): void;
  /** Several at once (one directory fsync per directory): all durable when it returns. */
  putMany(blobs: readonly { sha256: string; bytes: Uint8Array }[]): void;
  get(sha256: string): Buffer | undefined;
  /** Removes a blob no image names any more (retention); no error when it is gone already. */
  remove(sha256: string): void;
}

export const sha256Of = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

const SHA = /^[0-9a-f]{64}$/;

export class FileBlobStore implements BlobStore {
  constructor(readonly dir: string) {}

  private pathOf(sha: string): string {
    if (!SHA.test(sha)) throw new WharfError('CLOUD_STORE', `not a blob name: ${sha.slice(0, 70)}`);
    return path.join(this.dir, sha.slice(0, 2), sha);
  }

  put(sha: string, bytes: Uint8Array): void {
    this.putMany([{ sha256: sha, bytes }]);
  }

  putMany(blobs: readonly { sha256: string; bytes: Uint8Array }[]): void {
    const dirs = new Set<string>();
    try {
      for (const { sha256: sha, bytes } of blobs) {
        const p = this.pathOf(sha);
        if (existsSync(p)) continue;
        const sub = path.dirname(p);
        mkdirSync(sub, { recursive: true });
        const tmp = `${p}.${process.pid}.tmp`;
        const fd = openSync(tmp, 'w');
        try {
          let off = 0;
          while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, p);
        dirs.add(sub);
      }
      // the renames are durable once their directories are
      for (const d of dirs) {
        const dfd = openSync(d, 'r');
        try {
          fsyncSync(dfd);
        } finally {
          closeSync(dfd);
        }
      }
    } catch (err) {
      throw new WharfError(
        'CLOUD_STORE',
        `cannot write image blob in ${this.dir}: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  get(sha: string): Buffer | undefined {
    try {
      return readFileSync(this.pathOf(sha));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  remove(sha: string): void {
    rmSync(this.pathOf(sha), { force: true });
  }
}

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  put(sha: string, bytes: Uint8Array): void {
    if (!this.blobs.has(sha)) this.blobs.set(sha, Buffer.from(bytes));
  }
  putMany(blobs: readonly { sha256: string; bytes: Uint8Array }[]): void {
    for (const b of blobs) this.put(b.sha256, b.bytes);
  }
  get(sha: string): Buffer | undefined {
    return this.blobs.get(sha);
  }
  remove(sha: string): void {
    this.blobs.delete(sha);
  }
}
