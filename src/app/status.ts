/**
 * The gateway's `/status` document (also read by `wharf status`): per board and method the latest
 * reading (time and value), configured and achieved Hz, the last gap as the last error; for the
 * gateway the store backlog (records not yet durable), the sync backlog, last sync and last error.
 */
import type { CameraStatus } from '../capture/images/camera-capture.js';
import type { CapturePlan } from '../config/index.js';
import type { CaptureStoreStats } from '../capture/capture-store.js';
import type { LatestReadings } from '../capture/latest.js';
import type { ReadingData } from '../shared/record.js';
import type { SyncStatus } from '../sync/status-file.js';

export interface EntryStatus {
  key: string;
  board: string;
  component: string;
  method: string;
  readers: string[];
  mode: string;
  online: boolean;
  /** Configured capture_frequency_hz (kept as `hz` too, its earlier name). */
  configured_hz: number;
  hz: number;
  achieved_hz: number | null;
  latest: { time: string; age_ms: number; value: ReadingData } | null;
  readings: number;
  gaps: number;
  last_error: { reason: string; detail?: string; at: string; count: number } | null;
}

/** A previous capture dir (left by a live capture_dir change) still holding data to sync. */
export interface DrainingStatus {
  dir: string;
  /** When new data stopped going there. */
  since: string;
  /** 'finishing files' (the switch is closing its open files), the sync state, or 'no sync target'. */
  state: string;
  /** Capture files left (finished and open) and the finished ones' bytes; null before the first look. */
  files: number | null;
  bytes: number | null;
  /** Files set aside in its failed/ (never synced; they stay when the dir is otherwise drained). */
  failed_files: number | null;
  last_sync: string | null;
  last_error: string | null;
}

export interface GatewayStatusDoc {
  machine: string;
  part_id: string;
  /** Where new data goes. */
  capture_dir: string;
  /** Previous capture dirs still syncing their data (empty once they are drained). */
  draining: DrainingStatus[];
  capture_disabled: boolean;
  started_at: string;
  now: string;
  entries: EntryStatus[];
  /** Camera processes (src/capture/images): a problem says why a camera gives no frames. */
  cameras: CameraStatus[];
  store: CaptureStoreStats;
  backlog: {
    /** Records accepted but not yet on disk. */
    pending_records: number;
    /** Finished files waiting for sync (null: no sync running). */
    sync_files: number | null;
    sync_bytes: number | null;
  };
  last_sync: string | null;
  last_error: { where: 'store' | 'sync'; message: string; at: string | null } | null;
  sync: SyncStatus | null;
}

export interface StatusSources {
  plan: CapturePlan;
  engineStatus: { key: string; board: string; mode: string; hz: number; online: boolean }[];
  cameras: CameraStatus[];
  store: CaptureStoreStats;
  sync: SyncStatus | null;
  latest: LatestReadings | undefined;
  draining?: DrainingStatus[];
  startedAt: number;
  now: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function buildGatewayStatus(s: StatusSources): GatewayStatusDoc {
  const planned = new Map(s.plan.entries.map((e) => [e.key, e]));
  const entries = s.engineStatus.map((e): EntryStatus => {
    const p = planned.get(e.key);
    const l = s.latest?.of(e.key);
    const gap = l?.last_gap ?? null;
    return {
      key: e.key,
      board: e.board,
      component: p?.component_name ?? '',
      method: String(p?.method ?? ''),
      readers: p?.readers ?? [],
      mode: e.mode,
      online: e.online,
      configured_hz: e.hz,
      hz: e.hz,
      achieved_hz: l?.achieved_hz ?? null,
      latest:
        l?.latest == null
          ? null
          : {
              time: iso(l.latest.time_ms),
              age_ms: Math.max(0, Math.round(s.now - l.latest.time_ms)),
              value: l.latest.value,
            },
      readings: l?.readings ?? 0,
      gaps: l?.gaps ?? 0,
      last_error:
        gap === null
          ? null
          : {
              reason: gap.reason,
              ...(gap.detail === undefined ? {} : { detail: gap.detail }),
              at: iso(gap.end_ms),
              count: gap.count,
            },
    };
  });
  const sync = s.sync;
  const storeErr = s.store.lastError;
  const syncErr = sync?.last_error ?? null;
  return {
    machine: s.plan.machine,
    part_id: s.plan.part_id,
    capture_dir: s.plan.dataManager.capture_dir,
    draining: s.draining ?? [],
    capture_disabled: s.plan.dataManager.capture_disabled,
    started_at: iso(s.startedAt),
    now: iso(s.now),
    entries,
    cameras: s.cameras,
    store: s.store,
    backlog: {
      pending_records: s.store.pendingRecords,
      sync_files: sync?.backlog.files ?? null,
      sync_bytes: sync?.backlog.bytes ?? null,
    },
    last_sync: sync?.last_sync_ms == null ? null : iso(sync.last_sync_ms),
    last_error:
      storeErr !== null
        ? { where: 'store', message: storeErr, at: null }
        : syncErr !== null
          ? { where: 'sync', message: syncErr.message, at: iso(syncErr.at_ms) }
          : null,
    sync,
  };
}

function shortValue(v: ReadingData): string {
  return Object.entries(v)
    .map(([k, x]) =>
      'value' in x ? `${k}=${x.value}` : 'high' in x ? `${k}=${x.high ? 1 : 0}` : `${k}=?`,
    )
    .join(' ');
}

const ago = (ms: number): string =>
  ms < 1000
    ? `${ms} ms`
    : ms < 90_000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${(ms / 60_000).toFixed(1)} min`;

/** The "latest capture" table `wharf status` prints. */
export function formatLatest(d: GatewayStatusDoc): string {
  const rows = d.entries.map((e) => [
    `${e.board}/${e.component}`,
    e.method,
    `${e.configured_hz}`,
    e.achieved_hz === null ? '-' : `${e.achieved_hz}`,
    e.latest === null ? 'none yet' : `${e.latest.time} (${ago(e.latest.age_ms)} ago)`,
    e.latest === null ? '' : shortValue(e.latest.value),
    e.last_error === null
      ? ''
      : `${e.last_error.reason}${e.last_error.detail ? ` (${e.last_error.detail})` : ''} at ${e.last_error.at}`,
    e.online ? '' : 'OFFLINE',
  ]);
  const head = [
    'board/component',
    'method',
    'Hz',
    'achieved',
    'latest reading',
    'value',
    'last error',
    '',
  ];
  const all = [head, ...rows];
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const lines = all.map((r) =>
    r
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd(),
  );
  return (
    `latest capture (gateway ${d.machine}, up since ${d.started_at}; ${d.backlog.pending_records} record(s) not yet on disk${d.last_error === null ? '' : `; last error (${d.last_error.where}): ${d.last_error.message}`})\n` +
    `${lines.join('\n')}\n` +
    formatCaptureDirs(d)
  );
}

/** Where new data goes and, after a capture_dir change, the previous dirs still draining. */
export function formatCaptureDirs(d: GatewayStatusDoc): string {
  const draining = d.draining ?? []; // a gateway from before the field
  if (draining.length === 0) return '';
  const rows = draining.map(
    (x) =>
      `  draining:    ${x.dir} (since ${x.since}): ${x.files === null ? 'not measured yet' : `${x.files} file(s), ${x.bytes ?? 0} bytes left`}; ${x.state}${x.last_error === null ? '' : `; last error: ${x.last_error}`}${x.failed_files ? `; ${x.failed_files} file(s) in failed/ stay` : ''}`,
  );
  return `capture dirs\n  capture_dir: ${d.capture_dir} (new data)\n${rows.join('\n')}\n`;
}
