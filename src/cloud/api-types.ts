/**
 * The cloud API's answer shapes (docs/cloud.md), one module for both sides: the server builds them
 * (series.ts, routes/) and the web UI (ui/app/api.ts and its api-*.ts) reads them. Types only, so
 * the UI bundle takes nothing else from the server.
 */

/** One downsampled line of GET /api/v1/series: a reader (analog) or pin (GPIO) of one component. */
export interface SeriesLine {
  machine: string;
  part_id: string;
  component_type: string;
  component_name: string;
  method_name: string;
  key: string;
  kind: 'analog' | 'gpio';
  /** Plotted points: per bucket the min and the max, in time order. */
  t: number[];
  v: number[];
  /** Per bucket (aligned arrays). */
  bucket_t: number[];
  min: number[];
  max: number[];
  avg: number[];
}

/** A gap record as a span on the chart (GET /api/v1/series `gaps`). */
export interface GapSpan {
  machine: string;
  component_name: string;
  method_name: string;
  start: number;
  end: number;
  reason: string;
  count: number;
  detail?: string;
}

/** Bucket b covers [origin + b × width, origin + (b + 1) × width); the last one also holds `to`. */
export interface SeriesGrid {
  origin: number;
  width: number;
}

/** GET /api/v1/series. */
export interface SeriesResult {
  from: number;
  to: number;
  points: number;
  bucket_ms: number;
  points_in_range: number;
  series: SeriesLine[];
  gaps: GapSpan[];
  truncated: boolean;
}

/** One row of GET /api/v1/fleet: a board component's liveness and rates over the window. */
export interface FleetEntry {
  machine: string;
  part_id: string;
  component_type: string;
  component_name: string;
  last_seen: number | null;
  online: boolean;
  readings: number;
  /**
   * Readings in the minute before the board's last reading (its current rate, whatever the sync
   * delay), or — beyond RATE_BOARDS boards — the range's average; `rate_window` says which.
   */
  readings_per_min: number;
  rate_window: 'last_minute' | 'range';
  gap_count: number;
}

/** One image's metadata (GET /api/v1/images, docs/cameras.md). */
export interface ImageMeta {
  id: number;
  part_id: string;
  machine: string;
  component_type: string;
  component_name: string;
  method_name: string;
  tags: string[];
  time_requested: number;
  time_received: number;
  mime_type: string;
  size: number;
  sha256: string;
}
