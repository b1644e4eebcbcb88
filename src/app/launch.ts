/**
 * Shared by `wharf run` and `wharf demo`: load the config, start the gateway, print where the
 * data goes, reload live when the file changes, and stop cleanly on SIGINT/SIGTERM.
 */
import path from 'node:path';
import type { Writable } from 'node:stream';
import {
  formatIssue,
  loadConfigFile,
  watchConfig,
  type CapturePlan,
  type ConfigIssue,
} from '../config/index.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { noteCaptureDir, previousCaptureDir, wharfStateDir } from '../capture/dir-history.js';
import { Gateway, type GatewayOptions } from './gateway.js';
import { systemdNotifier, type Notifier } from './sd-notify.js';
import { serveUntilStopped, withStopSignals, type StopSignals } from './serve.js';
import { markRateChanges } from './rate-marks.js';
import { realClock } from '../shared/clock.js';
import { startProgressWatchdog } from './watchdog.js';

export interface LaunchOptions {
  configPath: string;
  /** How to name the config to the user (default configPath). */
  displayPath?: string;
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  logger: Logger;
  durationMs?: number;
  /** Adjust the loaded plan before it runs (demo: capture_dir under WHARF_HOME). Applied on reloads too. */
  adjustPlan?: (plan: CapturePlan) => CapturePlan;
  /** Extra gateway options (transport context, http override). */
  gateway?: Partial<Omit<GatewayOptions, 'plan' | 'logger'>>;
  /** Extra banner lines (demo parts add theirs). */
  bannerLines?: string[];
  /** Called after start, before waiting (demo: start parts that need the gateway). */
  afterStart?: (gw: Gateway) => Promise<void>;
  watch?: boolean;
  /** systemd notification (default: from NOTIFY_SOCKET in env, a no-op without it). */
  notifier?: Notifier;
}

function printIssues(issues: readonly ConfigIssue[], file: string, out: Writable): void {
  for (const i of issues) out.write(`${formatIssue(i, file)}\n`);
}

/** Entries capturing now: board entries, camera entries, gateway sensor entries. */
function capturing(gw: Gateway): { entries: number; boards: number; cameras: number } {
  const board = gw.engine.status();
  const cams = gw.cameras.outputs();
  return {
    entries: board.length + cams.length + gw.sensors.outputs().length,
    boards: new Set(board.map((e) => e.board)).size,
    cameras: new Set(cams.map((o) => o.boardId)).size,
  };
}

export function banner(gw: Gateway, configPath: string, extra: string[] = []): string {
  const plan = gw.currentPlan;
  const c = capturing(gw);
  const dir = gw.captureDir;
  const cams = c.cameras === 0 ? '' : ` and ${c.cameras} ${c.cameras === 1 ? 'camera' : 'cameras'}`;
  const lines = [
    `wharf: capturing ${c.entries} ${c.entries === 1 ? 'entry' : 'entries'} from ${c.boards} ${c.boards === 1 ? 'board' : 'boards'}${cams} (machine ${plan.machine})${plan.dataManager.capture_disabled ? ' — capture_disabled is set: nothing is captured' : ''}`,
    `  data:     ${dir}`,
    `            inspect: wharf data stats ${dir}   (or: wharf data ls|cat ${dir})`,
    gw.httpUrl === undefined
      ? '  metrics:  (http listener off)'
      : `  metrics:  ${gw.httpUrl}/metrics   status: ${gw.httpUrl}/status`,
    `  config:   ${configPath} (edits apply live)`,
    ...extra,
    'Ctrl-C to stop (files are flushed and finished).',
  ];
  return `${lines.join('\n')}\n`;
}

/** Returns the exit code. SIGINT/SIGTERM stop it cleanly from the first instant (serve.ts). */
export async function launch(o: LaunchOptions): Promise<number> {
  return withStopSignals(o.logger, (signals) => launchWith(o, signals));
}

async function launchWith(o: LaunchOptions, signals: StopSignals): Promise<number> {
  const file = path.resolve(o.configPath);
  const shown = o.displayPath ?? o.configPath;
  const loaded = await loadConfigFile(file, { env: o.env });
  if (!loaded.ok) {
    printIssues(loaded.issues, shown, o.stderr);
    o.stderr.write(
      `wharf: ${shown} has errors; nothing was started. Fix them (wharf config check ${shown}) and run again.\n`,
    );
    return 1;
  }
  printIssues(loaded.issues, shown, o.stderr);
  const adjust = o.adjustPlan ?? ((p: CapturePlan) => p);
  const plan = adjust(loaded.plan);
  const stateDir = wharfStateDir(o.env);
  const dir = plan.dataManager.capture_dir;
  const gw = await Gateway.start({
    ...(o.gateway ?? {}),
    plan,
    logger: o.logger,
    previousCaptureDir: await previousCaptureDir(stateDir, file, dir),
    // a live capture_dir change is recorded too, so the next start knows where it ran last
    onCaptureDirChanged: (d) => noteCaptureDir(stateDir, file, d, o.logger),
  });
  await noteCaptureDir(stateDir, file, dir, o.logger);
  try {
    if (o.afterStart !== undefined) await o.afterStart(gw);
  } catch (err) {
    await gw.stop();
    throw err;
  }
  const watcher =
    o.watch === false
      ? undefined
      : watchConfig(file, {
          current: loaded.plan,
          env: o.env,
          logger: o.logger,
          onPlan: (next) => {
            const plan = adjust(next);
            markRateChanges(gw.store, gw.currentPlan, plan, realClock.now(), `${shown} changed`);
            gw.applyPlan(plan).then(
              (s) =>
                o.logger.info(
                  {
                    added: s.added.length,
                    changed: s.changed.length,
                    removed: s.removed.length,
                    unchanged: s.unchanged.length,
                  },
                  'config reloaded',
                ),
              (err: unknown) =>
                o.logger.error(
                  { err: errorMessage(err) },
                  'applying the reloaded config failed; the running plan stays',
                ),
            );
          },
          onError: (issues) => {
            o.stderr.write(`wharf: ${shown} changed but has errors; the running plan stays:\n`);
            printIssues(issues, shown, o.stderr);
          },
        });
  o.stdout.write(banner(gw, shown, o.bannerLines));
  const notifier = o.notifier ?? systemdNotifier(o.env, o.logger);
  const entries = capturing(gw).entries;
  notifier.ready(
    `capturing ${entries} ${entries === 1 ? 'entry' : 'entries'} into ${gw.captureDir}`,
  );
  const watchdog =
    notifier.watchdogMs === null
      ? undefined
      : startProgressWatchdog({
          notifier,
          periodMs: notifier.watchdogMs,
          progress: () => gw.store.stats().flushes,
          logger: o.logger,
        });
  try {
    const why = await serveUntilStopped(gw, {
      signals,
      logger: o.logger,
      onStopping: (reason) => {
        watchdog?.stop();
        notifier.stopping(`stopping (${reason}): flushing capture files`);
      },
      ...(o.durationMs === undefined ? {} : { durationMs: o.durationMs }),
    });
    const s = gw.store.stats();
    o.stdout.write(
      `wharf: stopped (${why}); ${s.durable} records durable, ${s.filesFinished} files finished in ${gw.captureDir}\n`,
    );
  } finally {
    watchdog?.stop();
    watcher?.close();
    await gw.stop();
    notifier.close();
  }
  return 0;
}
