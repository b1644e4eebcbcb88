/**
 * The sync status the gateway persists for `wharf status` (another process): a small JSON file in
 * the capture directory, replaced atomically (temp file + rename) so a reader never sees half.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';

export const STATUS_FILE = 'sync-status.json';

export interface SyncError {
  code: string;
  message: string;
  at_ms: number;
}

export interface SyncStatus {
  version: 1;
  pid: number;
  updated_ms: number;
  /** Where files go (never contains a secret); null = no target configured. */
  target: string | null;
  interval_ms: number;
  disabled: boolean;
  state: 'idle' | 'syncing' | 'retrying' | 'offline' | 'disabled' | 'no_target' | 'stopped';
  /** When a pass last finished without error. */
  last_sync_ms: number | null;
  last_attempt_ms: number | null;
  last_error: SyncError | null;
  consecutive_failures: number;
  next_attempt_ms: number | null;
  uploaded_files: number;
  uploaded_records: number;
  uploaded_bytes: number;
  failed_files: number;
  backlog: { files: number; bytes: number };
}

export function statusPath(captureDir: string): string {
  return path.join(captureDir, STATUS_FILE);
}

export async function writeStatus(captureDir: string, s: SyncStatus): Promise<void> {
  const dest = statusPath(captureDir);
  const tmp = `${dest}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  await fsp.mkdir(captureDir, { recursive: true });
  await fsp.writeFile(tmp, `${JSON.stringify(s, null, 2)}\n`);
  try {
    await fsp.rename(tmp, dest);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** The persisted status, or null when there is none (gateway never ran sync here). */
export async function readStatus(captureDir: string): Promise<SyncStatus | null> {
  try {
    const v = JSON.parse(await fsp.readFile(statusPath(captureDir), 'utf8')) as SyncStatus;
    return v.version === 1 ? v : null;
  } catch {
    return null;
  }
}
