/**
 * A gateway that takes its config from the cloud (`wharf run --cloud URL --machine NAME`):
 *
 *  - boot: ask the cloud for the machine's resolved config; if the cloud cannot be reached (or its
 *    config is refused here), boot from the last good config cached on disk;
 *  - follow: long-poll the cloud (`?etag=…&wait_ms=25000`; a change arrives at once; after an error,
 *    retry with backoff, i.e. polling); each new config is validated here and applied through the
 *    gateway's live reload (only collectors whose settings changed restart);
 *  - report: after each config, what happened goes back to the cloud: applied (revisions, plan
 *    hash, time) or rejected (the issues; the running plan stays).
 *
 * The cloud's config is a plain Viam machine document; the gateway adds `wharf.machine` (the
 * machine name) and, when the document has no `wharf.sync`, sync to the same cloud with the same
 * key. The cache holds the document as the cloud sent it (never the key).
 */
import type { Writable } from 'node:stream';
import { FleetClient } from '../cloud/fleet/client.js';
import { formatIssue } from '../config/index.js';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { defaultCacheFile, type CloudSource } from './cloud-cache.js';
import { applied, bootConfig, CloudConfigFollower, type Boot } from './cloud-follow.js';
import { Gateway, type GatewayOptions } from './gateway.js';
import { banner } from './launch.js';
import { noteCaptureDir, previousCaptureDir, wharfStateDir } from '../capture/dir-history.js';
import { serveUntilStopped, withStopSignals, type StopSignals } from './serve.js';

export * from './cloud-cache.js';
export * from './cloud-follow.js';

export interface CloudLaunchOptions {
  url: string;
  key: string;
  machine: string;
  cacheFile?: string;
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  logger: Logger;
  durationMs?: number;
  gateway?: Partial<Omit<GatewayOptions, 'plan' | 'logger'>>;
}

/** `wharf run --cloud URL --machine NAME`. Returns the exit code. */
export async function launchFromCloud(o: CloudLaunchOptions): Promise<number> {
  return withStopSignals(o.logger, (signals) => launchWith(o, signals));
}

async function launchWith(o: CloudLaunchOptions, signals: StopSignals): Promise<number> {
  const src: CloudSource = {
    url: o.url,
    key: o.key,
    machine: o.machine,
    cacheFile: o.cacheFile ?? defaultCacheFile(o.env, o.machine),
    env: o.env,
  };
  const client = new FleetClient(o.url, o.key);
  let boot: Boot;
  try {
    boot = await bootConfig(src, client, o.logger, signals.abortSignal);
  } catch (err) {
    if (signals.stopping) return stoppedBeforeStart(o.stdout, await signals.why);
    o.stderr.write(`wharf: ${errorMessage(err)}\n`);
    return 1;
  }
  // stopped while asking the cloud (it may not answer for seconds): nothing was started
  if (signals.stopping) return stoppedBeforeStart(o.stdout, await signals.why);
  for (const i of boot.issues) o.stderr.write(`${formatIssue(i, `cloud:${o.machine}`)}\n`);
  // where this machine's gateway captured last (history keyed by cloud and machine): a capture_dir
  // changed while it was down is drained and accounted like one changed live
  const stateDir = wharfStateDir(o.env);
  const historyKey = `cloud:${new URL(o.url).origin}#${o.machine}`;
  const dir = boot.plan.dataManager.capture_dir;
  const gw = await Gateway.start({
    ...(o.gateway ?? {}),
    plan: boot.plan,
    logger: o.logger,
    previousCaptureDir: await previousCaptureDir(stateDir, historyKey, dir),
    onCaptureDirChanged: (d) => noteCaptureDir(stateDir, historyKey, d, o.logger),
  });
  await noteCaptureDir(stateDir, historyKey, dir, o.logger);
  if (boot.fromCache) boot.reports.push(applied(boot.config, gw.currentPlan));
  const follower = new CloudConfigFollower({
    src,
    client,
    gateway: gw,
    logger: o.logger,
    current: boot.config,
    pending: boot.reports,
  }).start();
  o.stdout.write(
    banner(gw, `cloud ${o.url} machine ${o.machine}`, [
      `  fleet:    config revision ${boot.config.config_revision}${boot.config.fragments.map((f) => `, ${f.id}@${f.revision}`).join('')}${boot.fromCache ? ' (from the cache: cloud unreachable)' : ''}; cached at ${src.cacheFile}`,
    ]),
  );
  try {
    const why = await serveUntilStopped(gw, {
      signals,
      logger: o.logger,
      ...(o.durationMs === undefined ? {} : { durationMs: o.durationMs }),
      onStopping: () => void follower.stop(),
    });
    const s = gw.store.stats();
    o.stdout.write(
      `wharf: stopped (${why}); ${s.durable} records durable, ${s.filesFinished} files finished in ${gw.captureDir}\n`,
    );
  } finally {
    await follower.stop();
    await gw.stop();
  }
  return 0;
}

function stoppedBeforeStart(out: Writable, why: string): number {
  out.write(`wharf: stopped (${why}) before the gateway started; nothing was captured\n`);
  return 0;
}
