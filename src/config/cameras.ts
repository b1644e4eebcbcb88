/**
 * Camera components (`type: camera`) → CameraSpec, and the checks of their capture methods
 * (`ReadImage`, `GetImages`). docs/cameras.md shows a config for each model.
 *
 *  - model `webcam`: a V4L2 device, `video_path` "video0" (→ /dev/video0) or an absolute path;
 *  - model `ffmpeg`: anything ffmpeg reads, `video_path` a file, an RTSP/HTTP(S) URL (MJPEG stream),
 *    or `lavfi:<graph>` for a test pattern (e.g. `lavfi:testsrc=size=640x480:rate=10`).
 *    With `"snapshot": true` an HTTP(S) `video_path` answering one image per request is fetched
 *    by wharf at the frame rate (no ffmpeg; the image must already be the asked mime type).
 * Optional for both: `width_px`, `height_px` (scaled by ffmpeg), `frame_rate` (frames/s decoded,
 * default twice the fastest capture rate, at least 2), `input_args` (extra ffmpeg input options).
 */
import type { IssueList } from './issues.js';
import type { CaptureMethodConfig } from './schema.js';
import { joinPath } from './path.js';
import { cameraOf, type CameraSpec, type PlanEntry } from './plan.js';
import { hideUserinfo } from '../shared/secrets.js';

export { cameraOf, type CameraSpec };

export const CAMERA_METHODS = ['ReadImage', 'GetImages'] as const;
export const CAMERA_MIME_TYPES = ['image/jpeg', 'image/png'] as const;
export type CameraMimeType = (typeof CAMERA_MIME_TYPES)[number];
export const CAMERA_MODELS = ['webcam', 'ffmpeg'] as const;
/** The transport name camera entries carry (PlanEntry.boardId is the camera's component name). */
export const CAMERA_TRANSPORT = 'camera';

const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Reads a camera component's attributes; undefined (issues recorded) when it cannot be used. */
export function readCamera(
  name: string,
  model: string | undefined,
  attributes: Record<string, unknown>,
  path: string,
  issues: IssueList,
): CameraSpec | undefined {
  const attrsPath = joinPath(path, 'attributes');
  if (model !== 'webcam' && model !== 'ffmpeg') {
    issues.warn(
      joinPath(path, 'model'),
      `camera "${name}" has model ${model === undefined ? '(none)' : `"${model}"`}, which wharf cannot open; its capture methods are listed but not captured`,
      'use "model": "webcam" (a V4L2 device, "video_path": "video0") or "model": "ffmpeg" (a file, RTSP/HTTP URL or "lavfi:testsrc")',
    );
    return undefined;
  }
  const vp = attributes.video_path;
  if (typeof vp !== 'string' || vp === '') {
    issues.error(
      joinPath(attrsPath, 'video_path'),
      `camera "${name}" needs "video_path"`,
      model === 'webcam'
        ? 'e.g. "video_path": "video0" (the device /dev/video0)'
        : 'e.g. "video_path": "rtsp://10.0.0.5/stream1", "http://cam.local/mjpeg", "/data/line.mp4" or "lavfi:testsrc"',
    );
    return undefined;
  }
  const spec: CameraSpec = { id: name, boardId: name, name, model, input: vp, input_args: [] };
  if (model === 'webcam') {
    spec.format = 'v4l2';
    spec.input = vp.startsWith('/') ? vp : `/dev/${vp}`;
  } else if (vp.startsWith('lavfi:')) {
    spec.format = 'lavfi';
    spec.input = vp.slice('lavfi:'.length);
  }
  for (const k of ['width_px', 'height_px'] as const) {
    const v = attributes[k];
    if (v === undefined) continue;
    if (!posInt(v)) {
      issues.error(joinPath(attrsPath, k), `${k} must be a whole number of pixels > 0`);
      return undefined;
    }
    spec[k] = v;
  }
  const fr = attributes.frame_rate;
  if (fr !== undefined) {
    if (typeof fr !== 'number' || !(fr > 0) || fr > 120) {
      issues.error(
        joinPath(attrsPath, 'frame_rate'),
        'frame_rate must be a number of frames/s from 0 to 120',
      );
      return undefined;
    }
    spec.frame_rate = fr;
  }
  if (attributes.snapshot !== undefined) {
    if (
      typeof attributes.snapshot !== 'boolean' ||
      (attributes.snapshot && !/^https?:\/\//.test(vp))
    ) {
      issues.error(
        joinPath(attrsPath, 'snapshot'),
        'snapshot must be true or false, and true only with an http:// or https:// video_path',
        'e.g. "video_path": "http://10.0.0.7/snapshot.jpg", "snapshot": true',
      );
      return undefined;
    }
    if (attributes.snapshot) spec.snapshot = true;
  }
  const ia = attributes.input_args;
  if (ia !== undefined) {
    if (!Array.isArray(ia) || !ia.every((x) => typeof x === 'string')) {
      issues.error(
        joinPath(attrsPath, 'input_args'),
        'input_args must be a list of strings (ffmpeg input options)',
        'e.g. ["-rtsp_transport", "tcp"]',
      );
      return undefined;
    }
    spec.input_args = ia as string[];
  }
  return spec;
}

/**
 * The mime type a camera method asks for (`additional_params.mime_type`, default image/jpeg), or
 * undefined (error recorded) when wharf cannot produce it.
 */
export function cameraMimeType(
  m: CaptureMethodConfig,
  path: string,
  issues: IssueList,
): CameraMimeType | undefined {
  const v = m.additional_params?.mime_type;
  if (v === undefined) return 'image/jpeg';
  if (typeof v === 'string' && (CAMERA_MIME_TYPES as readonly string[]).includes(v))
    return v as CameraMimeType;
  issues.error(
    joinPath(joinPath(path, 'additional_params'), 'mime_type'),
    `mime_type ${JSON.stringify(v)} cannot be captured`,
    `use one of ${CAMERA_MIME_TYPES.join(', ')}`,
  );
  return undefined;
}

export function isCameraMethod(method: string): boolean {
  return (CAMERA_METHODS as readonly string[]).includes(method);
}

/** Estimated bytes per image on disk, for `config explain` (640×480 unless sized). */
export function estimatedImageBytes(spec: CameraSpec | undefined, mime: string): number {
  const pixels = (spec?.width_px ?? 640) * (spec?.height_px ?? 480);
  // JPEG at ffmpeg's -q:v 5 ≈ 0.15 byte/pixel on a busy scene; PNG ≈ 1.5 byte/pixel.
  return Math.round(pixels * (mime === 'image/png' ? 1.5 : 0.15));
}

/** Schemes of a remote `address` that is an IP camera URL (read by ffmpeg). */
const CAMERA_URL_SCHEMES = ['rtsp', 'rtsps'];
/** Schemes that are an IP camera URL only on a remote whose capture methods are all cameras. */
const HTTP_SCHEMES = ['http', 'https'];
/** Schemes of a remote `address` that is another wharf gateway serving its cameras. */
const WHARF_SCHEMES: Record<string, string> = { wharf: 'http', wharfs: 'https' };

/**
 * A remote whose `address` is itself a camera source: an IP camera URL (`rtsp://…`; `http(s)://…`
 * when `camerasOnly`: every capture method of the remote names a camera, so an https Viam cloud
 * address of a board stays a dial-in board), or another wharf gateway (`wharf://host:port`,
 * `wharfs://…` over TLS). Undefined otherwise.
 */
export function cameraAddressOf(
  address: string,
  camerasOnly: boolean,
): { via: 'url'; url: string } | { via: 'wharf'; base: string } | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(address)?.[1]?.toLowerCase();
  if (scheme === undefined) return undefined;
  if (CAMERA_URL_SCHEMES.includes(scheme) || (camerasOnly && HTTP_SCHEMES.includes(scheme)))
    return { via: 'url', url: address };
  const http = WHARF_SCHEMES[scheme];
  if (http === undefined) return undefined;
  return { via: 'wharf', base: `${http}${address.slice(scheme.length)}`.replace(/\/+$/, '') };
}

/**
 * The camera `name` of a remote whose address is a camera source (`cameraAddressOf`): the seed's
 * `rdk:component:camera/cam` of `pi-test-main` with only its address and secret set. An IP camera
 * URL with a user name but no password takes the remote's secret as the password.
 */
export function addressCamera(
  remote: string,
  name: string,
  at: NonNullable<ReturnType<typeof cameraAddressOf>>,
  secret: string | undefined,
): CameraSpec {
  const base = { id: `${remote}:${name}`, boardId: remote, name, input_args: [] };
  if (at.via === 'wharf')
    return {
      ...base,
      model: 'ffmpeg',
      input: at.base,
      snapshot: true,
      remote: { via: 'wharf', camera: name, secret: secret ?? '' },
    };
  let input = at.url;
  if (secret !== undefined && secret !== '') {
    try {
      const u = new URL(at.url);
      if (u.username !== '' && u.password === '') {
        u.password = secret;
        input = u.toString();
      }
    } catch {
      /* ffmpeg says what is wrong with the URL */
    }
  }
  return { ...base, model: 'ffmpeg', input, remote: { via: 'url' } };
}

/** One line for `config explain`: how a camera is reached (credentials never printed). */
export function cameraReach(spec: CameraSpec): string {
  const where = hideUserinfo(spec.input);
  if (spec.remote?.via === 'wharf')
    return `from the wharf gateway ${where} (its camera "${spec.remote.camera}", GET /camera/frame with the remote's secret)`;
  if (spec.snapshot === true) return `HTTP snapshots of ${where}, fetched by wharf`;
  if (spec.format === 'v4l2') return `video device ${where} (ffmpeg)`;
  if (spec.format === 'lavfi') return `ffmpeg test source ${where}`;
  return `${where} read by ffmpeg${spec.remote?.via === 'url' ? " (the remote's address)" : ''}`;
}

/**
 * Warns about a camera method captured faster than its camera's `frame_rate`: most of its ticks
 * could only be gaps (no new image within one period). `used`: entry key → the method's JSON path.
 */
export function checkCameraRates(
  cameras: readonly CameraSpec[],
  entries: readonly PlanEntry[],
  used: ReadonlyMap<string, string>,
  issues: IssueList,
): void {
  for (const e of entries) {
    const cam = cameraOf(cameras, e);
    if (cam?.frame_rate === undefined || e.hz <= cam.frame_rate) continue;
    issues.warn(
      joinPath(used.get(e.key) ?? 'components', 'capture_frequency_hz'),
      `${e.method} of camera "${cam.name}" is captured at ${e.hz} Hz but the camera's frame_rate is ${cam.frame_rate}: at most ${cam.frame_rate} of every ${e.hz} ticks can get a new image, the others are gaps`,
      `raise "frame_rate" to at least ${e.hz}, or leave it out (wharf then uses twice the fastest capture rate)`,
    );
  }
}
