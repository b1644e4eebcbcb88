/**
 * Sync target: a directory (NAS mount, USB stick). Files land as `<root>/<machine>/<file id>.capture`
 * through temp file + fsync + rename + directory fsync, so a file there is always complete.
 * The root must exist (an unmounted stick is "unreachable", not an empty directory to fill).
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { WharfError, errorMessage } from '../shared/errors.js';
import type { SyncTarget, UploadItem, UploadResult } from './target.js';

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128) || '_';

export class DirSyncTarget implements SyncTarget {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `directory ${root}`;
  }

  async upload(item: UploadItem): Promise<UploadResult> {
    try {
      const st = await fsp.stat(this.root);
      if (!st.isDirectory()) throw new Error('not a directory');
    } catch (err) {
      throw new WharfError(
        'SYNC_UNREACHABLE',
        `sync directory ${this.root} is not available (${errorMessage(err)}); mount the disk or create the directory`,
      );
    }
    const dir = path.join(this.root, safe(item.machine));
    const dest = path.join(dir, `${safe(item.fileId)}.capture`);
    try {
      const existing = await fsp.readFile(dest);
      const sha = createHash('sha256').update(existing).digest('hex');
      if (sha === item.sha256) return { status: 'already_stored', records: item.records };
      throw new WharfError(
        'SYNC_REJECTED',
        `${dest} already exists with other content; a file id must never be reused`,
      );
    } catch (err) {
      if (err instanceof WharfError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw this.ioError(err, dest);
    }
    const tmp = `${dest}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await fsp.mkdir(dir, { recursive: true });
      const fh = await fsp.open(tmp, 'wx');
      try {
        await fh.writeFile(item.bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, dest);
      await fsyncDir(dir);
    } catch (err) {
      await fsp.unlink(tmp).catch(() => undefined);
      throw this.ioError(err, dest);
    }
    return { status: 'stored', records: item.records };
  }

  private ioError(err: unknown, dest: string): WharfError {
    return new WharfError('SYNC_UNREACHABLE', `cannot write ${dest}: ${errorMessage(err)}`, {
      cause: err,
    });
  }

  async close(): Promise<void> {
    // nothing held open
  }
}
