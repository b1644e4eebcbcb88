/**
 * Which capture_dir a config file last ran with, so a gateway restarted into a new capture_dir
 * can account the switch (`capture_dir_changed` gaps from the previous directory's checkpoint).
 * A small JSON map in the wharf home (`capture-dirs.json`: config path → capture dir, newest 50),
 * replaced atomically. Failures only cost the account of the switch, never the start.
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';

export const DIR_HISTORY_FILE = 'capture-dirs.json';
const KEEP = 50;

/** WHARF_HOME (default ~/.wharf), where wharf keeps its own small state. */
export function wharfStateDir(env: NodeJS.ProcessEnv): string {
  const h = env.WHARF_HOME;
  return h !== undefined && h !== ''
    ? path.resolve(h.replace(/^~(?=$|\/)/, os.homedir()))
    : path.join(env.HOME !== undefined && env.HOME !== '' ? env.HOME : os.homedir(), '.wharf');
}

interface HistoryFile {
  version: 1;
  configs: Record<string, { capture_dir: string; at: number }>;
}

async function readHistory(file: string): Promise<HistoryFile> {
  try {
    const parsed = JSON.parse(await fsp.readFile(file, 'utf8')) as HistoryFile;
    if (parsed?.version === 1 && typeof parsed.configs === 'object' && parsed.configs !== null)
      return parsed;
  } catch {
    // none yet, or unreadable: start a new one
  }
  return { version: 1, configs: {} };
}

/** The capture dir `configPath` ran with last, when it differs from `captureDir` (else null). */
export async function previousCaptureDir(
  stateDir: string,
  configPath: string,
  captureDir: string,
): Promise<string | null> {
  const before = (await readHistory(path.join(stateDir, DIR_HISTORY_FILE))).configs[configPath]
    ?.capture_dir;
  return typeof before === 'string' && before !== captureDir ? before : null;
}

/** Records that `configPath` now runs with `captureDir` (after the gateway started on it). */
export async function noteCaptureDir(
  stateDir: string,
  configPath: string,
  captureDir: string,
  logger: Logger,
  now = Date.now(),
): Promise<void> {
  const file = path.join(stateDir, DIR_HISTORY_FILE);
  const h = await readHistory(file);
  h.configs[configPath] = { capture_dir: captureDir, at: now };
  const entries = Object.entries(h.configs).sort((a, b) => b[1].at - a[1].at);
  h.configs = Object.fromEntries(entries.slice(0, KEEP));
  try {
    await fsp.mkdir(stateDir, { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await fsp.writeFile(tmp, JSON.stringify(h, null, 1));
    await fsp.rename(tmp, file);
  } catch (err) {
    logger.warn(
      { file, err: errorMessage(err) },
      'cannot record the capture_dir in use; a later capture_dir switch is not accounted',
    );
  }
}
