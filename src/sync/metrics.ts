/** The sync worker's counters on the gateway's /metrics. */
import type { Counter, Gauge, Metrics } from '../shared/metrics.js';

export interface SyncMetrics {
  files: Counter;
  records: Counter;
  bytes: Counter;
  errors: Counter;
  backlogFiles: Gauge;
  backlogBytes: Gauge;
}

export function syncMetrics(reg: Metrics): SyncMetrics {
  return {
    files: reg.counter(
      'wharf_sync_files_total',
      'Capture files synced, by result (stored, already_stored, rejected)',
      ['result'],
    ),
    records: reg.counter('wharf_sync_records_total', 'Records acknowledged by the sync target', []),
    bytes: reg.counter(
      'wharf_sync_bytes_total',
      'Capture file bytes acknowledged by the sync target',
      [],
    ),
    errors: reg.counter('wharf_sync_errors_total', 'Failed sync attempts, by code', ['code']),
    backlogFiles: reg.gauge(
      'wharf_sync_backlog_files',
      'Finished capture files waiting for sync',
      [],
    ),
    backlogBytes: reg.gauge(
      'wharf_sync_backlog_bytes',
      'Bytes of finished capture files waiting for sync',
      [],
    ),
  };
}
