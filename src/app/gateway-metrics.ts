/**
 * The gateway's own families on /metrics: what crash recovery did at start and the capture store's
 * statistics (read from the store at each scrape). The engine, sync and link families register
 * themselves (src/capture/capture-metrics.ts, src/sync/metrics.ts, src/boards/link-metrics.ts).
 */
import type { CaptureStore } from '../capture/capture-store.js';
import type { RecoveryReport } from '../capture/recovery.js';
import type { Logger } from '../shared/logger.js';
import type { Metrics } from '../shared/metrics.js';

/** Logs an unclean stop's recovery and counts it. */
export function reportRecovery(recovery: RecoveryReport, logger: Logger, metrics: Metrics): void {
  const n = recovery.recovered.length;
  if (n > 0 || recovery.failed.length > 0) {
    logger.info(
      {
        recovered: n,
        truncated: recovery.recovered.filter((r) => r.cutBytes > 0).length,
        failed: recovery.failed.length,
      },
      'capture dir recovered after an unclean stop',
    );
  }
  metrics
    .counter(
      'wharf_recovered_files_total',
      'Capture files finished by crash recovery at start.',
      [],
    )
    .inc(undefined, n);
  metrics
    .counter('wharf_recovery_failed_files_total', 'Capture files recovery moved to failed/.', [])
    .inc(undefined, recovery.failed.length);
}

/** The capture store statistics as gauges, refreshed before each scrape. */
export function registerStoreMetrics(metrics: Metrics, store: CaptureStore): void {
  const g = {
    appended: metrics.gauge(
      'wharf_store_records_appended',
      'Records accepted by the capture store since start.',
      [],
    ),
    durable: metrics.gauge(
      'wharf_store_records_durable',
      'Records written and fsynced since start.',
      [],
    ),
    pending: metrics.gauge(
      'wharf_store_records_pending',
      'Records accepted but not yet durable.',
      [],
    ),
    dropped: metrics.gauge(
      'wharf_store_records_dropped',
      'Records refused because the write backlog was full (recorded as backlog_overflow gaps).',
      [],
    ),
    bytes: metrics.gauge(
      'wharf_store_bytes_written',
      'Bytes written to capture files since start.',
      [],
    ),
    finished: metrics.gauge(
      'wharf_store_files_finished',
      'Capture files finished since start.',
      [],
    ),
    errors: metrics.gauge('wharf_store_write_errors', 'Capture file write errors since start.', []),
    flushMs: metrics.gauge('wharf_store_last_flush_ms', 'Duration of the last flush in ms.', []),
  };
  metrics.onCollect(() => {
    const s = store.stats();
    g.appended.set(undefined, s.appended);
    g.durable.set(undefined, s.durable);
    g.pending.set(undefined, s.pendingRecords);
    g.dropped.set(undefined, s.dropped);
    g.bytes.set(undefined, s.bytesWritten);
    g.finished.set(undefined, s.filesFinished);
    g.errors.set(undefined, s.writeErrors);
    g.flushMs.set(undefined, s.lastFlushMs ?? 0);
  });
}

/** The capture dirs still draining after a capture_dir change (src/app/capture-dirs.ts). */
export function registerDrainingMetrics(
  metrics: Metrics,
  list: () => { contents: { files: number; bytes: number; in_progress_files: number } | null }[],
): void {
  const g = {
    dirs: metrics.gauge(
      'wharf_capture_dirs_draining',
      'Previous capture dirs (after a capture_dir change) still holding data to sync.',
      [],
    ),
    files: metrics.gauge(
      'wharf_capture_draining_files',
      'Capture files (finished and open) left in the draining capture dirs.',
      [],
    ),
    bytes: metrics.gauge(
      'wharf_capture_draining_bytes',
      'Bytes of finished capture files left in the draining capture dirs.',
      [],
    ),
  };
  metrics.onCollect(() => {
    const l = list();
    g.dirs.set(undefined, l.length);
    g.files.set(
      undefined,
      l.reduce((a, d) => a + (d.contents?.files ?? 0) + (d.contents?.in_progress_files ?? 0), 0),
    );
    g.bytes.set(
      undefined,
      l.reduce((a, d) => a + (d.contents?.bytes ?? 0), 0),
    );
  });
}
