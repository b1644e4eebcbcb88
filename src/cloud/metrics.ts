/** The cloud's counters, rendered on GET /metrics. */
import { Metrics, type Counter } from '../shared/metrics.js';

export interface CloudMetrics {
  registry: Metrics;
  ingestFiles: Counter;
  ingestRecords: Counter;
  ingestRejected: Counter;
  authFailures: Counter;
  sqlStatements: Counter;
  exports: Counter;
}

export function cloudMetrics(registry = new Metrics()): CloudMetrics {
  return {
    registry,
    ingestFiles: registry.counter(
      'wharf_cloud_ingest_files_total',
      'Capture files received, by status (stored, already_stored)',
      ['status'],
    ),
    ingestRecords: registry.counter(
      'wharf_cloud_ingest_records_total',
      'Records stored by ingest',
      [],
    ),
    ingestRejected: registry.counter(
      'wharf_cloud_ingest_rejected_total',
      'Uploads refused, by error code',
      ['code'],
    ),
    authFailures: registry.counter(
      'wharf_cloud_auth_failures_total',
      'Requests refused for a missing or wrong key',
      [],
    ),
    sqlStatements: registry.counter(
      'wharf_cloud_sql_statements_total',
      'SQL statements, by outcome (ok, refused, error, busy)',
      ['outcome'],
    ),
    exports: registry.counter('wharf_cloud_exports_total', 'Exports started, by format', [
      'format',
    ]),
  };
}
