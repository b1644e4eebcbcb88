/**
 * A camera whose HTTP(S) URL answers one image per request (a "snapshot" URL): fetched by wharf at
 * the frame rate, one request at a time, each bounded by a timeout of one frame interval (at least
 * 1 s). No ffmpeg process and no transcoding: an answer that is not the asked image type (by its
 * content-type and its magic bytes) is a problem, never recorded. Same surface as FfmpegCamera.
 *
 * A camera of another wharf gateway (`spec.remote.via === 'wharf'`) is fetched the same way from
 * that gateway's `GET /camera/frame` (src/app/camera-serve.ts) with the remote's secret as a
 * bearer key: the answer says how old the frame is (`x-wharf-frame-age-ms`, so `at` is when it was
 * taken, not when it arrived) and which it is (`x-wharf-frame-id`, so a frame fetched twice is
 * one frame); a refusal or "no fresh frame" (401/404/503) is a problem with the gateway's words.
 */
import type { CameraSpec } from '../../config/plan.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { Frame } from './ffmpeg-camera.js';
import { MAX_IMAGE_BYTES, type ImageFormat } from './frame-splitter.js';
import { imageStructureProblem } from '../../shared/image-structure.js';

export interface SnapshotCameraOptions {
  frameRate: number;
  format: ImageFormat;
  clock: Clock;
  logger: Logger;
}

export class SnapshotCamera {
  latest: Frame | undefined;
  problem: string | undefined = 'camera starting';
  /** Always 1 once started: frames are numbered from one "process" (no restarts). */
  starts = 0;
  readonly pid = undefined;
  private seq = 0;
  /** The remote gateway's id of the latest frame (a frame fetched twice is not new). */
  private remoteId: string | undefined;
  private timer: TimerHandle | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();

  constructor(
    readonly spec: CameraSpec,
    private readonly o: SnapshotCameraOptions,
  ) {}

  start(): void {
    if (this.stopped || this.starts > 0) return;
    this.starts = 1;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimer(this.timer);
    this.abort?.abort();
    await this.running;
    this.latest = undefined;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimer(() => {
      this.timer = undefined;
      this.running = this.fetchOne();
    }, delay);
  }

  private async fetchOne(): Promise<void> {
    const interval = 1000 / this.o.frameRate;
    const began = this.o.clock.now();
    const ac = new AbortController();
    this.abort = ac;
    const remote = this.spec.remote?.via === 'wharf' ? this.spec.remote : undefined;
    const limit = Math.max(1000, interval) + (remote === undefined ? 0 : this.waitMs(interval));
    const t = setTimeout(() => ac.abort(), limit);
    let atOnce = false;
    let broken: string | null;
    const want = this.o.format === 'jpeg' ? 'image/jpeg' : 'image/png';
    try {
      const res = await fetch(
        remote === undefined ? this.spec.input : this.frameUrl(remote.camera, want, interval),
        {
          signal: ac.signal,
          ...(remote === undefined
            ? {}
            : { headers: { authorization: `Bearer ${remote.secret}` } }),
        },
      );
      const body = Buffer.from(await res.arrayBuffer());
      const type = res.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
      if (remote !== undefined && !res.ok) this.fail(remoteRefusal(res.status, body));
      else if (!res.ok) this.fail(`HTTP ${res.status} from the snapshot URL`);
      else if (body.length > MAX_IMAGE_BYTES)
        this.fail(`the snapshot is larger than ${MAX_IMAGE_BYTES} bytes`);
      else if (type !== undefined && type !== want)
        this.fail(
          `the snapshot is ${type}, not a whole ${want} (wharf does not transcode snapshots: ask for the URL's type)`,
        );
      else if ((broken = imageStructureProblem(body, this.o.format)) !== null)
        this.fail(`the snapshot is not a whole ${want}: ${broken}`);
      else if (remote !== undefined) {
        // a frame taken: ask again at once (the gateway holds the request until its next frame);
        // anything else waits out the frame interval, so a refusal is never a hot loop
        atOnce = this.remoteFrame(body, res.headers);
      } else {
        this.latest = { bytes: body, at: this.o.clock.now(), seq: ++this.seq };
        this.problem = undefined;
      }
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const what = remote === undefined ? 'the snapshot URL' : 'the remote gateway';
      if (!this.stopped)
        this.fail(
          ac.signal.aborted
            ? `${what} did not answer in time`
            : `cannot reach ${what}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
        );
    } finally {
      clearTimeout(t);
    }
    this.schedule(atOnce ? 0 : Math.max(0, began + interval - this.o.clock.now()));
  }

  /** How long the remote gateway may hold a request for a new frame (long poll). */
  private waitMs(intervalMs: number): number {
    return Math.round(Math.min(5000, Math.max(500, 4 * intervalMs)));
  }

  private frameUrl(camera: string, mime: string, intervalMs: number): string {
    const q = new URLSearchParams({
      name: camera,
      mime_type: mime,
      fps: String(this.o.frameRate),
      max_age_ms: String(Math.max(100, Math.round(2 * intervalMs))),
      wait_ms: String(this.waitMs(intervalMs)),
    });
    if (this.remoteId !== undefined) q.set('after', this.remoteId);
    return `${this.spec.input}/camera/frame?${q.toString()}`;
  }

  /** A frame from another gateway: taken `age` ms before it arrived; the same id is not new. */
  private remoteFrame(body: Buffer, h: Headers): boolean {
    const id = h.get('x-wharf-frame-id') ?? undefined;
    const age = Number(h.get('x-wharf-frame-age-ms'));
    if (id === undefined || !Number.isFinite(age) || age < 0) {
      this.fail('the remote gateway answered without x-wharf-frame-id/x-wharf-frame-age-ms');
      return false;
    }
    this.problem = undefined;
    if (id === this.remoteId) return false; // the same frame again: not new, and no hurry
    this.remoteId = id;
    this.latest = { bytes: body, at: this.o.clock.now() - age, seq: ++this.seq };
    return true;
  }

  private fail(why: string): void {
    // the URL is not logged: it may carry credentials
    this.problem = `camera ${this.spec.id}: ${why}`;
    this.o.logger.warn({ camera: this.spec.id }, this.problem);
  }
}

/** A remote gateway's refusal in words (its answer body is plain text, bounded). */
function remoteRefusal(status: number, body: Buffer): string {
  const said = body.toString('utf8', 0, Math.min(body.length, 300)).trim();
  if (status === 401)
    return `the remote gateway refused the key (HTTP 401): the remote's "secret" must equal that gateway's wharf.serve_cameras.secret`;
  return `the remote gateway answered HTTP ${status}${said ? `: ${said}` : ''}`;
}
