/**
 * A live `capture_dir` change (config reload or the cloud's config): new data goes to the new
 * directory at once, the old one keeps its data and drains.
 *
 *  1. the new dir is checked (not inside or around a dir of ours), locked, recovered, and the old
 *     dir is recorded as draining in it (src/app/capture-dirs.ts): a refusal leaves everything as
 *     it was (the caller's plan stays);
 *  2. a new store on the new dir becomes current in one step (SwitchingStore): every record goes to
 *     exactly one of the two, so the switch itself leaves no hole and repeats nothing; the
 *     checkpoint follows to the new dir;
 *  3. sync: the old dir gets a drain worker, the new one the gateway's worker;
 *  4. the old store is closed: its open files are finished in the old dir (bounded in time, as at
 *     a clean stop), then the drain worker syncs them and the old dir is dropped once empty.
 */
import type { CaptureStore } from '../capture/capture-store.js';
import { closeStoreWithin } from '../capture/close-store.js';
import type { FlushLoop } from '../capture/flush-loop.js';
import type { SwitchingStore } from '../capture/switching-store.js';
import type { Clock } from '../shared/clock.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { GatewaySync } from '../sync/gateway-sync.js';
import type { CaptureDirs } from './capture-dirs.js';

export interface SwitchParts {
  dirs: CaptureDirs;
  store: SwitchingStore;
  makeStore: (dir: string) => CaptureStore;
  flushLoop: FlushLoop;
  sync: GatewaySync | undefined;
  /** The disk budget checks again (it counts the draining dirs too). */
  kickBudget: () => void;
  clock: Clock;
  logger: Logger;
}

/** Returns once new data goes to `dir` (the old store finishes its files in the background). */
export async function switchCaptureDir(
  p: SwitchParts,
  dir: string,
): Promise<{ previous: string; closed: Promise<void> }> {
  const previous = await p.dirs.switchTo(dir);
  const next = p.makeStore(p.dirs.current);
  p.flushLoop.setDir(p.dirs.current);
  const closed = p.store
    .switchTo(next, (prev) =>
      closeStoreWithin(prev, { clock: p.clock, logger: p.logger, withinMs: 3000 }),
    )
    .then(
      () => p.logger.info({ dir: previous }, 'previous capture dir: open files finished'),
      (err: unknown) =>
        p.logger.error(
          { dir: previous, err: errorMessage(err) },
          'previous capture dir: finishing its open files failed; its records stay in memory and are written at a later flush (until then the restart checkpoint holds, so a stop before that is a capture_stopped gap at the next start)',
        ),
    )
    .finally(() => {
      p.dirs.closed(previous);
      p.sync?.drainNow(previous)?.catch(() => undefined);
      p.kickBudget();
    });
  p.logger.warn(
    { capture_dir: p.dirs.current, previous },
    'capture_dir changed: new data goes to the new directory; the previous one keeps its files and syncs until it is empty',
  );
  await p.sync?.switchDir(p.dirs.current);
  return { previous, closed };
}
