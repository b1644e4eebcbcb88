/**
 * The capture plan: what the config loader produces and everything below it consumes.
 * It is plain data (JSON-serialisable) so it can be printed by `wharf config explain` and diffed
 * on live reload.
 */
/** The capture methods a board transport can serve (`Readings`: board-side sensors, agent boards only). */
export type CaptureMethod = 'Analogs' | 'Gpio' | 'Readings';

/**
 * Analog reader name → pin, GPIO pins, board-side sensors: the remote part's board config, sent at
 * handshake.
 */
export interface BoardHardwareConfig {
  analogs: { name: string; pin: string }[];
  pins: string[];
  /** Sensors the board agent reads itself (absent = none; src/config/board-sensors.ts). */
  sensors?: BoardSensor[];
}

/**
 * A sensor the board agent reads itself, from a remote part's `type: sensor` component
 * (docs/sensors.md): a pulse counter on a GPIO pin, an analog pin with a linear calibration
 * (value = scale · volts at the pin + offset), the chip's own temperature.
 */
export type BoardSensor =
  | {
      name: string;
      model: 'pulse_counter';
      pin: string;
      edge: 'rising' | 'falling' | 'both';
      debounce_ms: number;
      pull: 'up' | 'down' | 'none';
    }
  | {
      name: string;
      model: 'analog_linear';
      pin: string;
      scale: number;
      offset: number;
      unit?: string;
      attenuation_db: number;
    }
  | { name: string; model: 'chip_temperature' };

export interface DataManagerSettings {
  /** Absolute path, `~` expanded; default `$WHARF_HOME/capture` or `~/.wharf/capture`. */
  capture_dir: string;
  sync_interval_mins: number; // 0.1
  sync_disabled: boolean; // false
  capture_disabled: boolean; // false
  tags: string[]; // []
  maximum_capture_file_size_bytes: number; // 262144
  disk_usage_deletion_threshold: number; // 0.9
  capture_dir_deletion_threshold: number; // 0.5
  delete_every_nth_when_disk_full: number; // 5
  flush_interval_ms: number; // 1000 (wharf)
  capture_dir_max_bytes: number | null; // null = no absolute quota (wharf)
  /** Rotate a capture file at this age even if small (wharf), default 60000. */
  maximum_capture_file_age_ms: number;
  /** Disk budget check interval (wharf), default 10000; it also runs at start and after every finished file. */
  disk_budget_interval_ms: number;
}

/** A board the gateway reaches: a local board component or a remote part. */
export interface BoardSpec {
  /** Unique id: the remote's name (remotes) or the component name (local components). */
  id: string;
  /** Transport address, e.g. `sim://line1?wave=sine`, `serial:///dev/ttyUSB0?baud=115200`, `mqtt://esp-1`. */
  address: string;
  /** Scheme of the address without ':' (sim, serial, mqtt, firmata) or 'unsupported'. */
  transport: string;
  /**
   * The address as written when it is not a wharf transport URL (a Viam cloud host such as
   * `esp-home-main.33vvxnbbw9.viam.cloud:80`): the board dials in over MQTT, `address` is then
   * `mqtt://<remote name>` and `transport` 'mqtt'.
   */
  dial_in?: string;
  /** Remote secret (for board authentication). Never logged or printed. */
  secret?: string;
  /** The remote's board component name(s) → hardware config (readers → pins, GPIO pins). */
  components: { name: string; type: string; hardware: BoardHardwareConfig }[];
}

export interface PlanEntry {
  /** Stable key: `${boardId}/${component_type}/${component_name}/${method}/${readers joined by ','}`. */
  key: string;
  boardId: string;
  component_type: string; // 'board', 'camera', ...
  component_name: string; // 'my-esp32'
  /** Fully qualified resource name, e.g. `rdk:component:board/my-esp32`. */
  resource: string;
  method: CaptureMethod | string;
  /** Analog reader names or GPIO pin names, sorted. Empty for methods without readers. */
  readers: string[];
  hz: number;
  additional_params: Record<string, unknown>;
  /** Service tags merged with per-method tags (deduplicated, service tags first). */
  tags: string[];
  /** False when no transport supports this method (e.g. ReadImage): listed, never scheduled. */
  supported: boolean;
}

/** A capture method that is configured but off: listed by `explain`, never scheduled. */
export interface OffMethod {
  boardId: string;
  /** Fully qualified resource name as resolved (or as written, for a remote's method). */
  resource: string;
  method: string;
  hz: number;
  /** `disabled`: `"disabled": true`; `0 Hz`: capture_frequency_hz is 0 or absent. */
  reason: 'disabled' | '0 Hz';
  /** JSON path of the method in the config. */
  path: string;
}

export interface ConfigIssue {
  severity: 'error' | 'warning';
  /** JSON path, e.g. `remotes[0].service_configs[0].attributes.capture_methods[1].name`. */
  path: string;
  message: string;
  hint?: string;
  /** 1-based line in the source file when known. */
  line?: number;
  /** The file `path` and `line` refer to when it is not the main config (e.g. a remote's part_config). */
  file?: string;
}

/**
 * wharf's own settings, from an optional top-level `"wharf"` object in the machine JSON
 * (Viam ignores unknown top-level keys):
 *   "wharf": {
 *     "machine": "line-3-gateway", "part_id": "line-3-main",
 *     "broker": {"port": 1883, "host": "127.0.0.1", "tls": {"cert": "…", "key": "…"}}   // embedded (default)
 *            | {"url": "mqtt://mosquitto.local:1883", "username": "…", "password": "…"}, // external
 *     "sync": {"url": "http://cloud:8080", "api_key": "…"} | {"dir": "/mnt/usb/wharf"},
 *     "http": {"host": "127.0.0.1", "port": 8787}
 *   }
 * `WHARF_API_KEY` in the environment overrides `sync.api_key`.
 */
export type BrokerSettings =
  | { mode: 'embedded'; host: string; port: number; tls?: { cert: string; key: string } }
  | { mode: 'external'; url: string; username?: string; password?: string };

export type SyncTargetSettings =
  { kind: 'cloud'; url: string; api_key: string } | { kind: 'dir'; path: string };

export interface GatewaySettings {
  broker: BrokerSettings; // default embedded on 127.0.0.1:1883
  sync: SyncTargetSettings | null; // default null (no target: files stay on disk)
  http: { host: string; port: number } | null; // status + /metrics listener, default 127.0.0.1:8787
  /**
   * Other wharf gateways may fetch this gateway's local cameras' latest frames from its HTTP
   * listener (`GET /camera/frame`), authenticated with this secret (their remote's `secret`).
   * Absent: the route answers 404 (deny by default). Applies live.
   */
  serve_cameras?: { secret: string };
}

export interface CapturePlan {
  gateway: GatewaySettings;
  /** Machine name used in every record (config `wharf.machine`, default hostname). */
  machine: string;
  /** Part id used in every record (config `wharf.part_id`, default = machine). */
  part_id: string;
  dataManager: DataManagerSettings;
  boards: BoardSpec[];
  entries: PlanEntry[];
  /** Capture methods that are off (disabled or 0 Hz): shown by `explain`, never scheduled. */
  off?: OffMethod[];
  warnings: ConfigIssue[];
  /** Local camera components wharf opens with ffmpeg (src/capture/images); absent = none. */
  cameras?: CameraSpec[];
  /** Sensors wharf reads itself (the gateway's health, src/capture/sensors); absent = none. */
  sensors?: SensorSpec[];
}

/** A camera wharf opens (src/capture/images; read from the config by src/config/cameras.ts). */
export interface CameraSpec {
  /** Unique: the component name, or `<remote>:<name>` for a remote part's camera. */
  id: string;
  /** PlanEntry.boardId of its entries: the component name, or the remote's name. */
  boardId: string;
  /** Component name (PlanEntry.component_name of its entries). */
  name: string;
  model: 'webcam' | 'ffmpeg';
  /**
   * How a remote part's camera is reached when the remote's `address` is the camera itself:
   * 'url' (an IP camera URL read by ffmpeg, `input`), or 'wharf' (another wharf gateway serving
   * its camera `camera` at `input`, its HTTP listener, authenticated with `secret`).
   */
  remote?: { via: 'url' } | { via: 'wharf'; camera: string; secret: string };
  /** What ffmpeg opens: a device path, a file, a URL, or a lavfi graph. */
  input: string;
  /** ffmpeg input format when it is not guessed: 'v4l2' (webcam), 'lavfi' (test pattern). */
  format?: 'v4l2' | 'lavfi';
  width_px?: number;
  height_px?: number;
  frame_rate?: number;
  input_args: string[];
  /** An HTTP(S) URL answering one image per request: fetched by wharf, no ffmpeg process. */
  snapshot?: boolean;
}

/** A sensor wharf reads itself (src/capture/sensors; src/config/sensors.ts). */
export interface SensorSpec {
  id: string;
  model: 'gateway';
}

/** The camera wharf opens for a plan entry, if it is one. */
export function cameraOf(
  cameras: readonly CameraSpec[] | undefined,
  e: { boardId: string; component_type: string; component_name: string },
): CameraSpec | undefined {
  if (e.component_type !== 'camera') return undefined;
  return cameras?.find((c) => c.boardId === e.boardId && c.name === e.component_name);
}

/** The sampling period of an entry at `hz` (ms): the one place `1000 / hz` is computed. */
export function periodMs(hz: number): number {
  return 1000 / hz;
}

/** `sync_interval_mins` (data manager setting) in ms: the one place minutes become ms. */
export function syncIntervalMs(settings: Pick<DataManagerSettings, 'sync_interval_mins'>): number {
  return settings.sync_interval_mins * 60_000;
}
