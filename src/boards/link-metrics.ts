/**
 * Per-board link counters of the protocol transports (serial, MQTT) on `/metrics`: bad frames, stale
 * batches, request timeouts, reboots, repeated batches and gap frames, and the clock mapping (offset, drift, best
 * round trip). The app passes `trackLinkStats(metrics)` as `trackBoard` in the transport context.
 */
import type { Metrics } from '../shared/metrics.js';
import type { BoardBus } from './mqtt/bus.js';
import type { ClockMap } from './protocol/clock-map.js';
import type { LinkStats } from './protocol/values.js';

export interface TrackedBoard {
  id: string;
  stats: LinkStats;
  clockMap: ClockMap;
}

export function trackLinkStats(metrics: Metrics): (b: TrackedBoard) => void {
  const boards = new Map<string, TrackedBoard>();
  const g = {
    bad: metrics.gauge(
      'wharf_board_bad_frames',
      'Frames from the board that could not be decoded (garbage, overlong, invalid JSON, wrong types), since start.',
    ),
    stale: metrics.gauge(
      'wharf_board_stale_batches',
      'Batches for a plan entry no longer planned (in flight across a new plan), since start.',
    ),
    timeouts: metrics.gauge(
      'wharf_board_request_timeouts',
      'Requests to the board that got no answer in time, since start.',
    ),
    reboots: metrics.gauge(
      'wharf_board_reboots',
      'Board reboots detected (unsolicited hi or clock step), since start.',
    ),
    repeatedBatches: metrics.gauge(
      'wharf_board_repeated_batches',
      'Batches the board sent again after a link timeout (sequence number already delivered; dropped), since start.',
    ),
    repeated: metrics.gauge(
      'wharf_board_repeated_gap_frames',
      'Gap frames the board sent again after an outage (counted once), since start.',
    ),
    resend: metrics.gauge(
      'wharf_board_resend_requests',
      'Times the gateway asked the board to re-send batches after a skipped sequence number (rs), since start.',
    ),
    offset: metrics.gauge(
      'wharf_board_clock_offset_ms',
      'Gateway time minus board clock (ms), current estimate.',
    ),
    drift: metrics.gauge(
      'wharf_board_clock_drift_ppm',
      'How fast the board clock runs against the gateway (ppm), current estimate.',
    ),
    rtt: metrics.gauge('wharf_board_best_rtt_ms', 'Best recent ping round trip (ms).'),
  };
  metrics.onCollect(() => {
    for (const b of boards.values()) {
      const l = { board: b.id };
      g.bad.set(l, b.stats.badFrames);
      g.stale.set(l, b.stats.staleBatches);
      g.timeouts.set(l, b.stats.timeouts);
      g.reboots.set(l, b.stats.reboots);
      g.repeated.set(l, b.stats.repeatedGaps);
      g.repeatedBatches.set(l, b.stats.repeatedBatches);
      g.resend.set(l, b.stats.resendRequests);
      const e = b.clockMap.estimate();
      if (e.samples > 0) {
        g.offset.set(l, e.offsetMs);
        g.drift.set(l, e.driftPpm);
        g.rtt.set(l, e.bestRttMs);
      }
    }
  });
  return (b) => void boards.set(b.id, b);
}

/**
 * `wharf_mqtt_unrouted_frames{reason}`: board frames that reached no board link (unknown board id,
 * held too long or too many before the gateway attached the board), from the current MQTT bus.
 */
export function trackUnrouted(metrics: Metrics, bus: () => BoardBus | undefined): void {
  const g = metrics.gauge(
    'wharf_mqtt_unrouted_frames',
    'Frames from MQTT boards that reached no board link, by reason (unknown_board, not_attached, hold_overflow), since start.',
  );
  metrics.onCollect(() => {
    const u = bus()?.unrouted;
    if (u === undefined) return;
    for (const [reason, n] of Object.entries(u)) g.set({ reason }, n);
  });
}
