/**
 * The systemd unit `wharf service install` writes: a supervised gateway for a box left alone for
 * months. `Type=notify` (READY=1 once capturing), `WatchdogSec` fed only by completed flushes
 * (watchdog.ts), `Restart=on-failure`, the capture dir under `StateDirectory=` (WHARF_HOME), logs
 * to journald only (stderr JSON lines; no second log file), and `KillSignal=SIGTERM` with
 * `KillMode=mixed` so only the gateway gets SIGTERM and finishes its files (SIGKILL after
 * TimeoutStopSec as the last resort). See docs/pi.md.
 */
import { WharfError } from '../shared/errors.js';

export interface UnitSettings {
  /** Unit name without `.service`. */
  name: string;
  /** Absolute paths. */
  node: string;
  wharfBin: string;
  config: string;
  /** Run as this user; undefined: `DynamicUser=yes` (a throwaway uid owning the state dir). */
  user?: string;
  /** Machine name for the description. */
  machine: string;
  watchdogSec: number;
  /** Directories outside the state dir the gateway writes (a capture_dir set in the config). */
  readWritePaths: string[];
  /** The wharf version that wrote the unit. */
  version: string;
}

/**
 * V8 flags the service runs node with (docs/benchmarks.md has the paired runs):
 *  - young-generation semi-spaces of 1 MB instead of V8's default (16 MB on Node 20, larger on
 *    22/24): at 100k readings/s the gateway's RSS drops by ~25 MB for a few % more CPU in the
 *    scavenger (`npm run bench:start`);
 *  - one V8 helper thread instead of one per core (concurrent marking and compiling, parallel
 *    scavenges): with 1 MB semi-spaces the helpers had little to share and cost more in handing
 *    work over than they did; −10 % CPU per reading at 100k readings/s, −18 % at 200k, and
 *    1.5–3 MB less RSS (fewer threads, fewer malloc arenas), on 2 cores (`npm run bench:peers`).
 * bin/wharf.mjs gives plain `wharf run` the same flags (GATEWAY_NODE_ARGS there: keep them equal;
 * test/app/launcher-flags.test.ts checks the running gateway's command line against this list).
 */
export const UNIT_NODE_ARGS = ['--max-semi-space-size=1', '--v8-pool-size=1'];

/** STATE_DIRECTORY name under /var/lib. */
export const STATE_DIR_NAME = 'wharf';

/** Quote one ExecStart word (systemd.service(5) "Command lines"); `%` is a specifier there. */
export function execWord(s: string): string {
  if (/[\n\r\0]/.test(s))
    throw new WharfError('SERVICE', `a path in the unit has a line break: ${JSON.stringify(s)}`);
  const esc = s.replace(/%/g, '%%');
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(esc)
    ? esc
    : `"${esc.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '$$$$')}"`;
}

/** A path in a setting like ReadWritePaths= (space separated; quoting allowed). */
function pathSetting(s: string): string {
  return execWord(s);
}

export function renderUnit(u: UnitSettings): string {
  if (!/^[A-Za-z0-9_.@-]+$/.test(u.name))
    throw new WharfError('SERVICE', `unit name '${u.name}' may use only A-Z a-z 0-9 _ . @ -`);
  if (u.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}\$?$/.test(u.user))
    throw new WharfError('SERVICE', `'${u.user}' is not a valid user name`);
  if (!(Number.isInteger(u.watchdogSec) && u.watchdogSec >= 5))
    throw new WharfError('SERVICE', `WatchdogSec must be a whole number ≥ 5, got ${u.watchdogSec}`);
  const machine = u.machine.replace(/[^\x20-\x7e]/g, '?').replace(/%/g, '%%');
  const lines = [
    `# Written by \`wharf service install\` (wharf ${u.version}). Remove with \`wharf service uninstall\`.`,
    '# Logs: journalctl -u ' + u.name + '   Status: wharf service status',
    '[Unit]',
    `Description=wharf data-capture gateway (machine ${machine})`,
    'After=network-online.target',
    'Wants=network-online.target',
    // a crash loop is retried for a long time (a factory box has nobody to press restart)
    'StartLimitIntervalSec=600',
    'StartLimitBurst=30',
    '',
    '[Service]',
    'Type=notify',
    'NotifyAccess=main',
    `ExecStart=${[u.node, ...UNIT_NODE_ARGS, u.wharfBin, 'run', '--config', u.config].map(execWord).join(' ')}`,
    `Environment=WHARF_HOME=%S/${STATE_DIR_NAME}`,
    'Environment=WHARF_LOG_LEVEL=info',
    `WorkingDirectory=%S/${STATE_DIR_NAME}`,
    ...(u.user === undefined ? ['DynamicUser=yes'] : [`User=${u.user}`]),
    // serial boards: /dev/ttyUSB*, /dev/ttyACM*, /dev/serial0
    'SupplementaryGroups=dialout',
    `StateDirectory=${STATE_DIR_NAME}`,
    'StateDirectoryMode=0750',
    ...(u.readWritePaths.length > 0
      ? [`ReadWritePaths=${u.readWritePaths.map(pathSetting).join(' ')}`]
      : []),
    `WatchdogSec=${u.watchdogSec}`,
    'Restart=on-failure',
    'RestartSec=5',
    // crash recovery of a large capture dir runs before READY=1
    'TimeoutStartSec=300',
    'KillSignal=SIGTERM',
    'KillMode=mixed',
    'TimeoutStopSec=120',
    'StandardOutput=journal',
    'StandardError=journal',
    `SyslogIdentifier=${u.name}`,
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'LimitNOFILE=65536',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ];
  return lines.join('\n');
}

/** WatchdogSec for a flush interval: at least 30 s and 10 flush intervals. */
export function watchdogSecFor(flushIntervalMs: number): number {
  return Math.max(30, Math.ceil((10 * flushIntervalMs) / 1000));
}
