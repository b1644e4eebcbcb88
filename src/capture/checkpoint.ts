/**
 * The restart checkpoint: for each running plan entry, the time of its last record known to be
 * durable. Written after every flush (temp file, fsync, rename) to `<capture_dir>/.wharf-checkpoint.json`
 * (by FlushLoop, flush-loop.ts). On start the engine turns "last durable record → now" into one
 * `capture_stopped` gap per entry (resume-times.ts), so the readings a crash lost (at most one flush
 * interval) and the downtime both show as a gap.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { PauseReason } from './paused.js';

export const CHECKPOINT_FILE = '.wharf-checkpoint.json';

interface CheckpointFile {
  version: 1;
  written_at: number;
  /** entry key → ms epoch of its last durable record (reading time or gap end). */
  entries: Record<string, number>;
  /** entry key → why it was not capturing (absent: it was, so a gap after it is capture_stopped). */
  reasons?: Record<string, PauseReason>;
}

const PAUSE_REASONS: readonly string[] = [
  'capture_stopped',
  'capture_disabled',
  'method_disabled',
  'capture_dir_changed',
];

export async function readCheckpoint(dir: string, logger: Logger): Promise<Map<string, number>> {
  return (await readCheckpointFile(dir, logger)).entries;
}

/** The checkpoint's marks and, for entries that were not capturing, why. */
export async function readCheckpointFile(
  dir: string,
  logger: Logger,
): Promise<{ entries: Map<string, number>; reasons: Map<string, PauseReason> }> {
  const file = path.join(dir, CHECKPOINT_FILE);
  const entries = new Map<string, number>();
  const reasons = new Map<string, PauseReason>();
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn(
        { file, err: errorMessage(err) },
        'cannot read the capture checkpoint; no capture_stopped gaps this start',
      );
    return { entries, reasons };
  }
  try {
    const parsed = JSON.parse(text) as CheckpointFile;
    for (const [k, v] of Object.entries(parsed.entries ?? {}))
      if (typeof v === 'number' && Number.isFinite(v)) entries.set(k, v);
    for (const [k, v] of Object.entries(parsed.reasons ?? {}))
      if (entries.has(k) && PAUSE_REASONS.includes(v)) reasons.set(k, v);
  } catch (err) {
    logger.warn(
      { file, err: errorMessage(err) },
      'capture checkpoint is damaged; ignoring it (no capture_stopped gaps this start)',
    );
  }
  return { entries, reasons };
}

/**
 * After a capture_dir switch: the previous directory's checkpoint knows where each entry stopped.
 * Its marks newer than this directory's own are taken, named `capture_dir_changed`.
 */
export async function adoptPreviousDir(
  previousDir: string,
  resume: Map<string, number>,
  reasons: Map<string, PauseReason>,
  logger: Logger,
): Promise<number> {
  const prev = await readCheckpointFile(previousDir, logger);
  let n = 0;
  for (const [k, t] of prev.entries) {
    const own = resume.get(k);
    if (own !== undefined && own >= t) continue;
    resume.set(k, t);
    reasons.set(k, 'capture_dir_changed');
    n++;
  }
  return n;
}

export async function writeCheckpoint(
  dir: string,
  entries: Map<string, number>,
  now: number,
  reasons?: ReadonlyMap<string, PauseReason>,
): Promise<void> {
  const file = path.join(dir, CHECKPOINT_FILE);
  const tmp = `${file}.tmp`;
  const body: CheckpointFile = {
    version: 1,
    written_at: now,
    entries: Object.fromEntries(entries),
  };
  if (reasons !== undefined && reasons.size > 0) {
    const r: Record<string, PauseReason> = {};
    for (const [k, v] of reasons) if (entries.has(k) && v !== 'capture_stopped') r[k] = v;
    if (Object.keys(r).length > 0) body.reasons = r;
  }
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(JSON.stringify(body));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
}

/** JSON with object keys sorted, so two equal metas compare equal whatever their key order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
