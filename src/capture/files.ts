/**
 * The capture directory on disk: listing finished files, moving damaged ones aside, and the
 * durable-write helpers (fsync of a directory after a rename or create, full positional writes).
 *
 * Layout: `<capture_dir>/<component_type>/<component_name>/<method>/<time>_<file_id>.capture`,
 * the file being written ends in `.prog`, damaged files live under `<capture_dir>/failed/`.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { timeFromName } from './capture-store.js';
import { FINISHED_SUFFIX, IN_PROGRESS_SUFFIX } from './file-format.js';

export const FAILED_DIR = 'failed';

export interface CaptureFileEntry {
  path: string;
  size: number;
  mtimeMs: number;
}

/** The file operations the capture writer uses; injected so tests can record or fail them. */
export interface CaptureFileHandle {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  truncate(len: number): Promise<void>;
  close(): Promise<void>;
}

export interface CaptureIo {
  open(path: string, flags: 'wx' | 'r+'): Promise<CaptureFileHandle>;
  rename(from: string, to: string): Promise<void>;
  fsyncDir(dir: string): Promise<void>;
  mkdir(dir: string): Promise<string | undefined>;
}

export const realCaptureIo: CaptureIo = {
  open: (p, flags) => fsp.open(p, flags),
  rename: (a, b) => fsp.rename(a, b),
  fsyncDir: (d) => fsyncDir(d),
  mkdir: (d) => fsp.mkdir(d, { recursive: true }),
};

/** fsync a directory so a create/rename/unlink inside it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write all of `bytes` at `position` (loops over short writes). */
export async function writeFully(
  fh: CaptureFileHandle,
  bytes: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write (0 bytes) at offset ${position + done}`);
    done += bytesWritten;
  }
}

/**
 * Every regular file under `dir` whose name ends in one of `suffixes` (all files when empty),
 * skipping `failed/` at the top level unless `includeFailed`. A missing dir yields [].
 */
export async function walkCaptureDir(
  dir: string,
  suffixes: string[],
  includeFailed = false,
): Promise<CaptureFileEntry[]> {
  const out: CaptureFileEntry[] = [];
  const visit = async (d: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(d, { withFileTypes: true });
    } catch (err) {
      if (
        (err as NodeJS.ErrnoException).code === 'ENOENT' ||
        (err as NodeJS.ErrnoException).code === 'ENOTDIR'
      )
        return;
      throw err;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (depth === 0 && e.name === FAILED_DIR && !includeFailed) continue;
        if (depth < 16) await visit(p, depth + 1);
      } else if (
        e.isFile() &&
        (suffixes.length === 0 || suffixes.some((s) => e.name.endsWith(s)))
      ) {
        try {
          const st = await fsp.stat(p);
          out.push({ path: p, size: st.size, mtimeMs: st.mtimeMs });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // removed meanwhile (sync, budget)
        }
      }
    }
  };
  await visit(dir, 0);
  return out;
}

/** Sort key: creation time from the file name, else mtime. */
function fileTime(e: CaptureFileEntry): number {
  return timeFromName(path.basename(e.path)) ?? e.mtimeMs;
}

export function oldestFirst(files: CaptureFileEntry[]): CaptureFileEntry[] {
  return files.sort(
    (a, b) => fileTime(a) - fileTime(b) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}

/** All finished (`.capture`) files under dir, oldest first, excluding `failed/`. */
export async function listFinishedFiles(dir: string): Promise<CaptureFileEntry[]> {
  return oldestFirst(await walkCaptureDir(dir, [FINISHED_SUFFIX]));
}

/** All in-progress (`.prog`) files under dir, excluding `failed/`. */
export async function listInProgressFiles(dir: string): Promise<CaptureFileEntry[]> {
  return oldestFirst(await walkCaptureDir(dir, [IN_PROGRESS_SUFFIX]));
}

/**
 * Moves a damaged file to `<captureDir>/failed/<same relative path>` with `<name>.reason.txt`
 * beside it (never deletes; never overwrites: a clash gets a numeric suffix). Returns the new path.
 */
export async function moveToFailed(
  captureDir: string,
  filePath: string,
  reason: string,
): Promise<string> {
  const rel = path.relative(captureDir, filePath);
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  const target0 = path.join(captureDir, FAILED_DIR, inside ? rel : path.basename(filePath));
  await fsp.mkdir(path.dirname(target0), { recursive: true });
  let target = target0;
  for (let i = 1; i < 1000; i++) {
    try {
      await fsp.access(target);
      target = `${target0}.${i}`;
    } catch {
      break;
    }
  }
  const note = `${new Date().toISOString()} moved from ${filePath}\nreason: ${reason}\n`;
  await fsp.writeFile(`${target}.reason.txt`, note);
  await fsp.rename(filePath, target);
  await fsyncDir(path.dirname(target));
  await fsyncDir(path.dirname(filePath)).catch(() => undefined);
  return target;
}
