/** `wharf status`: the backlog measured now plus what the gateway last persisted, as text or JSON. */
import type { Backlog } from './backlog.js';
import type { SyncStatus } from './status-file.js';

export interface StatusReport {
  captureDir: string;
  intervalMs: number;
  target: string | null;
  nowMs: number;
  backlog: Backlog;
  /** What the running (or last) gateway wrote; null when sync never ran here. */
  gateway: SyncStatus | null;
  /** Whether the process that wrote `gateway` still runs. */
  gatewayRunning: boolean;
  warnings: string[];
}

export function ago(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown time';
  const s = Math.max(0, ms) / 1000;
  if (s < 90) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

const bytes = (n: number): string =>
  n >= 1 << 20
    ? `${(n / (1 << 20)).toFixed(1)} MiB`
    : n >= 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${n} B`;

export function buildReport(r: Omit<StatusReport, 'warnings'>): StatusReport {
  const warnings: string[] = [];
  const interval = r.gateway?.interval_ms ?? r.intervalMs;
  const oldest = r.backlog.oldest_reading_ms;
  if (oldest !== null && r.nowMs - oldest > 10 * interval) {
    const g = r.gateway;
    const why =
      g === null
        ? r.target === null
          ? 'no sync target is configured (wharf.sync) and no gateway has synced from this directory'
          : 'no gateway has synced from this directory yet; is it running?'
        : !r.gatewayRunning
          ? `the gateway (pid ${g.pid}) is not running; start it or run 'wharf sync now'`
          : g.disabled
            ? 'sync is disabled (sync_disabled)'
            : g.consecutive_failures > 0 && g.last_error !== null
              ? `sync is failing (${g.consecutive_failures}× in a row): ${g.last_error.message}`
              : 'sync is running but not keeping up';
    warnings.push(
      `backlog is ${ago(r.nowMs - oldest)} old, more than 10 × the sync interval (${ago(interval)}): ${why}`,
    );
  }
  if (r.backlog.failed_files > 0)
    warnings.push(
      `${r.backlog.failed_files} file(s) in failed/ were not synced: read the .reason.txt beside each`,
    );
  return { ...r, warnings };
}

export function formatReport(r: StatusReport): string {
  const g = r.gateway;
  const lines = [
    `capture dir   ${r.captureDir}`,
    `sync target   ${g?.target ?? r.target ?? 'none (files stay on disk)'}${g !== null ? `  [${r.gatewayRunning ? g.state : 'gateway not running'}, every ${ago(g.interval_ms)}]` : ''}`,
    `backlog       ${r.backlog.files} file(s), ${bytes(r.backlog.bytes)}${r.backlog.oldest_reading_ms === null ? '' : `, oldest reading ${ago(r.nowMs - r.backlog.oldest_reading_ms)} ago`}`,
    `in progress   ${r.backlog.in_progress_files} file(s) being written (synced once finished)`,
    `failed        ${r.backlog.failed_files} file(s) in failed/`,
    `last sync     ${g?.last_sync_ms == null ? 'never' : `${new Date(g.last_sync_ms).toISOString()} (${ago(r.nowMs - g.last_sync_ms)} ago)`}`,
    `last error    ${g?.last_error == null ? 'none' : `${g.last_error.message} [${g.last_error.code}] ${ago(r.nowMs - g.last_error.at_ms)} ago`}`,
  ];
  if (g !== null) {
    lines.push(
      `uploaded      ${g.uploaded_files} file(s), ${g.uploaded_records} record(s) since the gateway started (status written ${ago(r.nowMs - g.updated_ms)} ago by pid ${g.pid})`,
    );
  }
  for (const w of r.warnings) lines.push(`WARNING: ${w}`);
  return `${lines.join('\n')}\n`;
}
