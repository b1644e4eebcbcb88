/**
 * Capture dirs left behind by a `capture_dir` change that still hold data: new data goes to the new
 * directory at once, the old one keeps its files (finished, and the ones that were open, finished at
 * the switch) and is synced until it is empty. The list lives in the current capture dir
 * (`.wharf-draining.json`, replaced atomically) so a restart keeps draining; an empty list removes
 * the file.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { FAILED_DIR, listFinishedFiles, listInProgressFiles, walkCaptureDir } from './files.js';

export const DRAINING_FILE = '.wharf-draining.json';

export interface DrainingDir {
  dir: string;
  /** When the gateway stopped writing into it (ms epoch). */
  since_ms: number;
}

interface DrainingFile {
  version: 1;
  dirs: DrainingDir[];
}

/** The dirs a gateway on `captureDir` was draining (none when the file is missing or damaged). */
export async function readDraining(captureDir: string, logger: Logger): Promise<DrainingDir[]> {
  const file = path.join(captureDir, DRAINING_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn(
        { file, err: errorMessage(err) },
        'cannot read the list of draining capture dirs',
      );
    return [];
  }
  try {
    const parsed = JSON.parse(text) as DrainingFile;
    if (parsed?.version !== 1 || !Array.isArray(parsed.dirs))
      throw new Error('not a version 1 list');
    return parsed.dirs.filter(
      (d): d is DrainingDir =>
        typeof d?.dir === 'string' && path.isAbsolute(d.dir) && Number.isFinite(d.since_ms),
    );
  } catch (err) {
    logger.warn(
      { file, err: errorMessage(err) },
      'the list of draining capture dirs is damaged; ignoring it (those dirs are not synced: sync them with wharf sync --dir)',
    );
    return [];
  }
}

/** Replaces the list (temp file, fsync, rename); an empty list removes the file. */
export async function writeDraining(
  captureDir: string,
  dirs: readonly DrainingDir[],
): Promise<void> {
  const file = path.join(captureDir, DRAINING_FILE);
  if (dirs.length === 0) {
    await fsp.unlink(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return;
  }
  const tmp = `${file}.tmp`;
  const body: DrainingFile = { version: 1, dirs: [...dirs] };
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(body, null, 1));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
}

/** What a capture dir still holds. */
export interface DirContents {
  /** Finished files waiting for sync, and their bytes. */
  files: number;
  bytes: number;
  /** Files still open (`.prog`): a crash left them, recovery finishes them. */
  in_progress_files: number;
  /** Files set aside in failed/ (never synced, never deleted by wharf). */
  failed_files: number;
}

export async function dirContents(dir: string): Promise<DirContents> {
  const finished = await listFinishedFiles(dir);
  const prog = await listInProgressFiles(dir);
  const failed = await walkCaptureDir(path.join(dir, FAILED_DIR), ['.capture', '.prog'], true);
  return {
    files: finished.length,
    bytes: finished.reduce((s, f) => s + f.size, 0),
    in_progress_files: prog.length,
    failed_files: failed.length,
  };
}

/** Nothing left to sync: no finished and no open capture file (failed/ stays for a person). */
export function isDrained(c: DirContents): boolean {
  return c.files === 0 && c.in_progress_files === 0;
}

/** Whether a directory holds any capture file to sync (false when it does not exist). */
export async function holdsCaptureData(dir: string): Promise<boolean> {
  return !isDrained(await dirContents(dir));
}
