/**
 * The reading, as DESIGN.md fixes it (Viam-compatible). A capture file holds one header (the
 * fields common to every record of the file) and a sequence of records. The full Viam-shaped row
 * is header fields + record fields; see `toViamRow`.
 *
 * Times are milliseconds since the Unix epoch (float; sub-millisecond precision allowed), always in
 * gateway time (board clocks are mapped before a record is made).
 */

/** One analog reader's value: `value` is the raw count, the range in volts, `step_size` volts per count. */
export interface AnalogValue {
  value: number;
  min_range: number;
  max_range: number;
  step_size: number;
}

export interface GpioValue {
  high: boolean;
}

/**
 * What an image reading's `data` holds (`ReadImage`/`GetImages`): the image's metadata, JSON like
 * any reading, so it is queryable by the same filters and SQL. The bytes travel beside it in the
 * record's `binary` field (docs/cameras.md).
 */
export interface ImageInfo {
  /** Bytes of the image (= binary.length). First: it is the field that varies per record. */
  size: number;
  mime_type: string;
}

/** One named value of a sensor's `Readings` (docs/sensors.md). */
export interface SensorValue {
  value: number;
  /** The value's unit where the sensor has one (board-side sensors: `unit`, "V", "C"). */
  unit?: string;
}

/**
 * `Analogs`: reader name → AnalogValue. `Gpio`/`Gpios`: pin name → GpioValue. Images: {image}.
 * Sensor `Readings`: value name → SensorValue.
 */
export type ReadingData =
  | Record<string, AnalogValue>
  | Record<string, GpioValue>
  | Record<string, SensorValue>
  | { image: ImageInfo };

export interface ReadingRecord {
  kind: 'reading';
  time_requested: number;
  time_received: number;
  data: ReadingData;
  /** The image bytes of an image reading (data is `{image: ImageInfo}`); absent otherwise. */
  binary?: Uint8Array;
}

/**
 * Why readings are missing. Anything dropped becomes a gap with one of these reasons.
 *  - read_error / timeout: a polled read failed or timed out
 *  - board_offline: the board link was down for the span
 *  - missed_ticks: the scheduler could not run the ticks (stalled event loop, slow board)
 *  - sequence_gap: streamed batches were lost (sequence numbers skipped)
 *  - bad_frame: a frame from the board could not be decoded
 *  - board_reboot: the board's clock stepped (reboot); samples in flight are lost
 *  - disk_quota: finished capture files deleted to respect the disk budget
 *  - recovery_truncated: a torn tail was cut from a file after a crash
 *  - backlog_overflow: the board's offline backlog overflowed
 *  - capture_stopped: the gateway stopped (or crashed) during the span
 *  - capture_disabled: `capture_disabled` was set during the span
 *  - method_disabled: the capture method was disabled (or removed from the config) during the span
 *  - capture_dir_changed: the gateway restarted into a new capture_dir during the span
 *  - board_starting: the board was connected but had not started sampling yet (handshake → first sample)
 *  - sync_rejected: the cloud rejected the capture file holding these readings (it is in failed/)
 *  - rate_change: not a hole (count 0, start = end): marks where a live config change set a new
 *    capture rate for the stream (src/app/rate-marks.ts)
 */
export const GAP_REASONS = [
  'read_error',
  'timeout',
  'board_offline',
  'missed_ticks',
  'sequence_gap',
  'bad_frame',
  'board_reboot',
  'disk_quota',
  'recovery_truncated',
  'backlog_overflow',
  'capture_stopped',
  'capture_disabled',
  'method_disabled',
  'capture_dir_changed',
  'board_starting',
  'sync_rejected',
  'rate_change',
] as const;

export type GapReason = (typeof GAP_REASONS)[number];

export interface GapRecord {
  kind: 'gap';
  reason: GapReason;
  /** First and last affected time (ms epoch, gateway time). */
  start: number;
  end: number;
  /** Readings missing in the span (best estimate; 0 when unknown, e.g. a cut of unknown size). */
  count: number;
  /** Free text for humans: the error message, the file that was deleted, ... Never a secret. */
  detail?: string;
}

export type CaptureRecord = ReadingRecord | GapRecord;

/** Fields common to every record of a capture file (its header). */
export interface CaptureMeta {
  part_id: string;
  machine: string;
  component_type: string;
  component_name: string;
  method_name: string;
  additional_parameters: Record<string, unknown>;
  tags: string[];
}

/** A Viam-shaped row: what the cloud stores and returns for one record. */
export interface ViamRow extends CaptureMeta {
  kind: 'reading' | 'gap';
  time_requested: number;
  time_received: number;
  data: ReadingData | { reason: GapReason; count: number; end: number; detail?: string };
}

export function toViamRow(meta: CaptureMeta, rec: CaptureRecord): ViamRow {
  if (rec.kind === 'reading') {
    return {
      ...meta,
      kind: 'reading',
      time_requested: rec.time_requested,
      time_received: rec.time_received,
      data: rec.data,
    };
  }
  const data: ViamRow['data'] = { reason: rec.reason, count: rec.count, end: rec.end };
  if (rec.detail !== undefined) (data as { detail?: string }).detail = rec.detail;
  return { ...meta, kind: 'gap', time_requested: rec.start, time_received: rec.end, data };
}
