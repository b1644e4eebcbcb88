/**
 * One gateway per capture directory. Two gateways on one directory would recover each other's
 * open files and interleave their checkpoints; the second is refused with a clear message.
 *
 * The lock is `<capture_dir>/.wharf-lock`: the holder's pid, process start time and host, created
 * atomically (written to a temporary file, then hard-linked into place, which fails if a lock
 * exists). A lock whose process is gone (SIGKILL, power cut) or is a different process with a
 * reused pid is stale and taken over, so a crash never locks the directory for good.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WharfError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export const LOCK_FILE = '.wharf-lock';

interface LockInfo {
  pid: number;
  /** Process start time in clock ticks since boot (Linux /proc), null where unknown. */
  start: number | null;
  host: string;
  since: string;
  /** Unique per acquisition: tells our lock from a new one with the same pid. */
  token: string;
}

/** Locks held by this process (a second gateway in the same process is refused too). */
const heldHere = new Set<string>();

/** Start time and state of a process from /proc (Linux); null when unavailable. */
function procStat(pid: number): { start: number; zombie: boolean } | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which is in parentheses and may contain spaces)
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    const start = Number(rest[19]);
    return { start: Number.isFinite(start) ? start : NaN, zombie: rest[0] === 'Z' };
  } catch {
    return null;
  }
}

/** Whether the process that wrote `l` still runs (conservative: unknown counts as running). */
function holderAlive(l: LockInfo): boolean {
  if (l.host !== os.hostname()) return true; // a shared filesystem: cannot tell, never steal
  try {
    process.kill(l.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const st = procStat(l.pid);
  if (st === null) return true;
  if (st.zombie) return false; // killed, not yet reaped by its parent
  return l.start === null || !Number.isFinite(st.start) || st.start === l.start;
}

function parse(text: string): LockInfo | null {
  try {
    const o = JSON.parse(text) as Partial<LockInfo>;
    if (typeof o.pid !== 'number' || typeof o.host !== 'string' || typeof o.token !== 'string')
      return null;
    return {
      pid: o.pid,
      start: typeof o.start === 'number' ? o.start : null,
      host: o.host,
      since: typeof o.since === 'string' ? o.since : '?',
      token: o.token,
    };
  } catch {
    return null;
  }
}

export class CaptureDirLock {
  private released = false;

  private constructor(
    readonly dir: string,
    private readonly file: string,
    private readonly token: string,
  ) {}

  /** Takes the lock on `dir` or throws CAPTURE_LOCKED naming the gateway that holds it. */
  static async acquire(dir: string, logger: Logger): Promise<CaptureDirLock> {
    const file = path.join(dir, LOCK_FILE);
    const key = path.resolve(file);
    const me: LockInfo = {
      pid: process.pid,
      start: procStat(process.pid)?.start ?? null,
      host: os.hostname(),
      since: new Date().toISOString(),
      token: randomBytes(8).toString('hex'),
    };
    const refuse = (l: LockInfo): WharfError =>
      new WharfError(
        'CAPTURE_LOCKED',
        `capture dir ${dir} is in use by another wharf gateway (pid ${l.pid} on ${l.host}, since ${l.since}); two gateways must not share a capture_dir: stop that one first, or give this gateway its own capture_dir${l.host === os.hostname() ? '' : ` (the lock is from another host and cannot be checked from here: if that gateway is gone, delete ${file})`}`,
        { details: { pid: l.pid, host: l.host } },
      );
    if (heldHere.has(key)) throw refuse(me);
    await fsp.mkdir(dir, { recursive: true });
    const tmp = `${file}.${me.token}`;
    await fsp.writeFile(tmp, JSON.stringify(me));
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          await fsp.link(tmp, file);
          heldHere.add(key);
          return new CaptureDirLock(dir, file, me.token);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
        let text: string;
        try {
          text = await fsp.readFile(file, 'utf8');
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile
          throw err;
        }
        const held = parse(text);
        if (held !== null && holderAlive(held)) throw refuse(held);
        // stale (its process is gone) or unreadable: move it aside, then check we moved that one
        const aside = `${file}.stale-${me.token}`;
        try {
          await fsp.rename(file, aside);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        const moved = await fsp.readFile(aside, 'utf8').catch(() => '');
        if (moved !== text) {
          // another gateway took the stale lock between our read and the rename: give it back
          await fsp.link(aside, file).catch(() => undefined);
          await fsp.unlink(aside).catch(() => undefined);
          const now = parse(moved);
          if (now !== null) throw refuse(now);
          continue;
        }
        await fsp.unlink(aside).catch(() => undefined);
        logger.warn(
          { dir, stale_pid: held?.pid ?? null },
          'capture dir lock: the gateway that held it is gone (crash?); taking it over',
        );
      }
      throw new WharfError('CAPTURE_LOCKED', `cannot take the lock ${file}: it keeps changing`);
    } finally {
      await fsp.unlink(tmp).catch(() => undefined);
    }
  }

  /** Releases the lock if it is still ours. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(path.resolve(this.file));
    try {
      const l = parse(await fsp.readFile(this.file, 'utf8'));
      if (l?.token === this.token) await fsp.unlink(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(errorMessage(err), { cause: err });
    }
  }
}
