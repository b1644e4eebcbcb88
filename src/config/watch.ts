/**
 * Live reload: watch the config file (and its part_config files) and hand over each new valid
 * plan. A broken file is reported through onError and the running plan stays.
 *
 * fs.watch watches the *directories*, because editors save by writing a new file and renaming it
 * over the old one (a watch on the old inode would go quiet). Events are debounced; at most one
 * load runs at a time and at most one more is queued behind it, so a burst of writes costs at most
 * two loads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CapturePlan, ConfigIssue } from './plan.js';
import { loadConfigFile } from './load.js';
import { nullLogger, type Logger } from '../shared/logger.js';
import { errorMessage } from '../shared/errors.js';

export interface WatchOptions {
  /** A new valid plan that differs from the running one (warnings aside). */
  onPlan: (plan: CapturePlan, issues: ConfigIssue[]) => void;
  /** The file changed but cannot be used; the running plan stays. */
  onError: (issues: ConfigIssue[]) => void;
  logger?: Logger;
  /** Quiet time after the last change before reloading (default 200 ms). */
  debounceMs?: number;
  /** The plan already running: a reload giving the same plan is not handed over. */
  current?: CapturePlan;
  env?: NodeJS.ProcessEnv;
  hostname?: string;
}

export interface ConfigWatcher {
  close(): void;
}

function planFingerprint(plan: CapturePlan): string {
  return JSON.stringify({ ...plan, warnings: [] });
}

export function watchConfig(file: string, opts: WatchOptions): ConfigWatcher {
  const log = (opts.logger ?? nullLogger).child({ module: 'config-watch' });
  const debounceMs = opts.debounceMs ?? 200;
  const main = path.resolve(file);
  let running = opts.current === undefined ? undefined : planFingerprint(opts.current);
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let loading = false;
  let queued = false;
  /** dir → watcher and the file names in it we care about. */
  const watched = new Map<string, { watcher: fs.FSWatcher; names: Set<string> }>();

  const safe = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log.error({ err: errorMessage(err) }, `config watch: ${what} listener threw`);
    }
  };

  const schedule = () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      void reload();
    }, debounceMs);
  };

  const watchFiles = (files: readonly string[]) => {
    const want = new Map<string, Set<string>>();
    for (const f of files) {
      const abs = path.resolve(f);
      const dir = path.dirname(abs);
      const names = want.get(dir) ?? new Set<string>();
      names.add(path.basename(abs));
      want.set(dir, names);
    }
    for (const [dir, w] of watched) {
      if (!want.has(dir)) {
        w.watcher.close();
        watched.delete(dir);
      }
    }
    for (const [dir, names] of want) {
      const have = watched.get(dir);
      if (have !== undefined) {
        have.names = names;
        continue;
      }
      try {
        const entry = {
          names,
          watcher: fs.watch(dir, { persistent: false }, (_event, filename) => {
            if (filename === null || entry.names.has(filename.toString())) schedule();
          }),
        };
        entry.watcher.on('error', (err) =>
          log.warn({ dir, err: errorMessage(err) }, 'config watch: directory watch failed'),
        );
        watched.set(dir, entry);
      } catch (err) {
        log.warn({ dir, err: errorMessage(err) }, 'config watch: cannot watch directory');
      }
    }
  };

  const reload = async (): Promise<void> => {
    if (closed) return;
    if (loading) {
      queued = true;
      return;
    }
    loading = true;
    try {
      const lopts: { env?: NodeJS.ProcessEnv; hostname?: string } = {};
      if (opts.env !== undefined) lopts.env = opts.env;
      if (opts.hostname !== undefined) lopts.hostname = opts.hostname;
      const result = await loadConfigFile(main, lopts);
      if (closed) return;
      if (result.ok) {
        if (result.files !== undefined) watchFiles(result.files);
        const fp = planFingerprint(result.plan);
        if (fp === running) {
          log.debug({ file: main }, 'config changed on disk, plan unchanged');
        } else {
          running = fp;
          log.info(
            { file: main, entries: result.plan.entries.length },
            'config reloaded: new plan',
          );
          safe('onPlan', () => opts.onPlan(result.plan, result.issues));
        }
      } else {
        const errors = result.issues.filter((i) => i.severity === 'error').length;
        log.warn({ file: main, errors }, 'config changed but is not valid; the running plan stays');
        safe('onError', () => opts.onError(result.issues));
      }
    } finally {
      loading = false;
      if (queued && !closed) {
        queued = false;
        schedule();
      }
    }
  };

  watchFiles([main]);
  // Start watching part_config files too (best effort; a reload refreshes the list).
  void loadConfigFile(main, {
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.hostname ? { hostname: opts.hostname } : {}),
  }).then((r) => {
    if (!closed && r.ok && r.files !== undefined) watchFiles(r.files);
  });

  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const w of watched.values()) w.watcher.close();
      watched.clear();
    },
  };
}
