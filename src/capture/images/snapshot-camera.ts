/**
 * A camera whose HTTP(S) URL answers one image per request (a "snapshot" URL): fetched by wharf at
 * the frame rate, one request at a time, each bounded by a timeout of one frame interval (at least
 * 1 s). No ffmpeg process and no transcoding: an answer that is not the asked image type (by its
 * content-type and its magic bytes) is a problem, never recorded. Same surface as FfmpegCamera.
 */
import type { CameraSpec } from '../../config/plan.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { Frame } from './ffmpeg-camera.js';
import { MAX_IMAGE_BYTES, type ImageFormat } from './frame-splitter.js';

export interface SnapshotCameraOptions {
  frameRate: number;
  format: ImageFormat;
  clock: Clock;
  logger: Logger;
}

const looksLike = (b: Buffer, f: ImageFormat): boolean =>
  f === 'jpeg'
    ? b.length > 4 &&
      b[0] === 0xff &&
      b[1] === 0xd8 &&
      b[b.length - 2] === 0xff &&
      b[b.length - 1] === 0xd9
    : b.length > 8 && b.subarray(1, 4).toString('latin1') === 'PNG';

export class SnapshotCamera {
  latest: Frame | undefined;
  problem: string | undefined = 'camera starting';
  /** Always 1 once started: frames are numbered from one "process" (no restarts). */
  starts = 0;
  readonly pid = undefined;
  private seq = 0;
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
    const t = setTimeout(() => ac.abort(), Math.max(1000, interval));
    const want = this.o.format === 'jpeg' ? 'image/jpeg' : 'image/png';
    try {
      const res = await fetch(this.spec.input, { signal: ac.signal });
      const body = Buffer.from(await res.arrayBuffer());
      const type = res.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
      if (!res.ok) this.fail(`HTTP ${res.status} from the snapshot URL`);
      else if (body.length > MAX_IMAGE_BYTES)
        this.fail(`the snapshot is larger than ${MAX_IMAGE_BYTES} bytes`);
      else if ((type !== undefined && type !== want) || !looksLike(body, this.o.format))
        this.fail(
          `the snapshot is ${type ?? 'untyped'}, not a whole ${want} (wharf does not transcode snapshots: ask for the URL's type)`,
        );
      else {
        this.latest = { bytes: body, at: this.o.clock.now(), seq: ++this.seq };
        this.problem = undefined;
      }
    } catch (err) {
      if (!this.stopped)
        this.fail(
          ac.signal.aborted
            ? 'the snapshot URL did not answer in time'
            : `cannot fetch the snapshot: ${(err as Error).message}`,
        );
    } finally {
      clearTimeout(t);
    }
    this.schedule(Math.max(0, began + interval - this.o.clock.now()));
  }

  private fail(why: string): void {
    // the URL is not logged: it may carry credentials
    this.problem = `camera ${this.spec.id}: ${why}`;
    this.o.logger.warn({ camera: this.spec.id }, this.problem);
  }
}
