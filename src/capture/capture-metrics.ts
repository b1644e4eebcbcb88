/**
 * The capture engine's counters (served on `/metrics`). Names and labels are documented for users
 * in docs/capture.md; keep the two in step.
 */
import { Metrics, type Counter, type Gauge } from '../shared/metrics.js';

export class CaptureMetrics {
  readonly readings: Counter;
  readonly gaps: Counter;
  readonly gapReadings: Counter;
  readonly missedTicks: Counter;
  readonly readErrors: Counter;
  readonly duplicateBatches: Counter;
  readonly unknownBatches: Counter;
  readonly boardOnline: Gauge;
  readonly boardConnects: Counter;
  readonly collectors: Gauge;
  readonly planApplies: Counter;
  readonly resentSamples: Counter;
  readonly pollLatenessSum: Counter;
  readonly pollLatenessCount: Counter;
  readonly pollLatenessLast: Gauge;

  constructor(readonly registry: Metrics = new Metrics()) {
    const m = registry;
    this.readings = m.counter(
      'wharf_readings_total',
      'Reading records captured, by board and method.',
      ['board', 'method'],
    );
    this.gaps = m.counter('wharf_gaps_total', 'Gap records written, by board and reason.', [
      'board',
      'reason',
    ]);
    this.gapReadings = m.counter(
      'wharf_gap_readings_total',
      'Readings missing according to gap records, by board and reason.',
      ['board', 'reason'],
    );
    this.missedTicks = m.counter(
      'wharf_missed_ticks_total',
      'Scheduler ticks that did not run a read (stall or read still in flight), by board.',
      ['board'],
    );
    this.readErrors = m.counter(
      'wharf_read_errors_total',
      'Polled reads that failed, by board and error code.',
      ['board', 'code'],
    );
    this.duplicateBatches = m.counter(
      'wharf_duplicate_batches_total',
      'Streamed batches dropped as repeats of a sequence number, by board.',
      ['board'],
    );
    this.unknownBatches = m.counter(
      'wharf_unknown_batches_total',
      'Streamed batches for an entry the plan no longer has, by board.',
      ['board'],
    );
    this.boardOnline = m.gauge('wharf_board_online', '1 while the board link is up, 0 otherwise.', [
      'board',
    ]);
    this.boardConnects = m.counter(
      'wharf_board_connects_total',
      'Connection attempts, by board and result (ok, failed).',
      ['board', 'result'],
    );
    this.collectors = m.gauge(
      'wharf_collectors',
      'Running collectors, by mode (polled, streamed, waiting).',
      ['mode'],
    );
    this.resentSamples = m.counter(
      'wharf_resent_samples_total',
      'Streamed samples a board sent again after a gateway restart that were already on disk (dropped), by board.',
    );
    this.pollLatenessSum = m.counter(
      'wharf_poll_lateness_ms_sum',
      'Polled reads: sum of (board sample time − scheduled tick) in ms, by board (with _count: the mean lateness).',
    );
    this.pollLatenessCount = m.counter(
      'wharf_poll_lateness_ms_count',
      'Polled reads whose board sample time is known, by board.',
    );
    this.pollLatenessLast = m.gauge(
      'wharf_poll_lateness_ms',
      'Lateness of the last polled read (board sample time − scheduled tick, ms), by board.',
    );
    this.planApplies = m.counter(
      'wharf_plan_applies_total',
      'Capture plans applied, by result (ok, failed).',
      ['result'],
    );
  }
}
