/**
 * A real small filesystem for disk-full tests: a tmpfs mounted by the test and removed after it.
 * Needs root (mount). Without root the test is skipped loudly; under CI=true it fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findTool } from './system-tool.js';

/** True when this process can mount a tmpfs; otherwise warns (or throws under CI). */
export function canMountTmpfs(): boolean {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const mount = findTool('mount') !== null && findTool('umount') !== null;
  if (root && mount) return true;
  const msg = `wharf tests: a tmpfs mount is needed for the disk-full tests (${root ? 'mount/umount not found' : 'not running as root'})`;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`${msg} [required under CI]`);
  process.stderr.write(`\n!!! SKIPPING: ${msg}\n\n`);
  return false;
}

export interface Tmpfs {
  dir: string;
  remove(): void;
}

/** Mounts a tmpfs of `bytes` on a new temp dir. */
export function mountTmpfs(bytes: number): Tmpfs {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wharf-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  let mounted = true;
  return {
    dir,
    remove() {
      if (mounted) {
        execFileSync('umount', ['-l', dir]);
        mounted = false;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
