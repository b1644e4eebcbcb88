/**
 * One camera = one long-lived ffmpeg process that decodes the source and writes JPEG or PNG images
 * to stdout (image2pipe) at `frame_rate`; the latest whole image is kept with the gateway time it
 * arrived. Collectors take it at their ticks (image-collector.ts); nothing here decides what is
 * recorded. When ffmpeg cannot be started or exits (no device, unreachable URL, end of a stream),
 * `problem` says why in words and the process is started again with backoff (1 s doubling to 30 s).
 * A process that writes no whole image for `stallMs` (a stream gone silent without closing, a
 * camera that accepts the connection and never sends: ffmpeg itself waits forever) is killed and
 * started again the same way, so a camera that comes back is captured again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { CameraSpec } from '../../config/plan.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import { FrameSplitter, type ImageFormat } from './frame-splitter.js';

export interface Frame {
  bytes: Buffer;
  /** Gateway time the whole image arrived from ffmpeg (ms epoch). */
  at: number;
  /** 1, 2, … per process start; a collector never records the same frame twice. */
  seq: number;
}

export interface FfmpegCameraOptions {
  /** ffmpeg executable (default `ffmpeg` on PATH). */
  ffmpegPath?: string;
  /** Frames/s ffmpeg writes (default: spec.frame_rate, else 2 × hz, at least 2, at most 30). */
  frameRate: number;
  format: ImageFormat;
  clock: Clock;
  logger: Logger;
  backoff?: { initialMs: number; maxMs: number };
  /** A process without a whole image for this long is restarted (default: stallMsFor(frameRate)). */
  stallMs?: number;
}

/** How long a camera process may go without a whole image before it is restarted: 3 frame
 * intervals, at least 10 s (an RTSP camera may take seconds to answer). */
export function stallMsFor(frameRate: number): number {
  return Math.max(10_000, Math.ceil(3000 / frameRate));
}

const STDERR_KEEP = 4096;

/** The ffmpeg command line for a camera (exported for docs and tests). */
export function ffmpegArgs(spec: CameraSpec, format: ImageFormat, frameRate: number): string[] {
  const a = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(spec.input);
  if (spec.format === 'v4l2') a.push('-f', 'v4l2');
  else if (spec.format === 'lavfi') a.push('-re', '-f', 'lavfi');
  else if (!isUrl)
    a.push('-re', '-stream_loop', '-1'); // a file: played at its own rate, looped
  // an HTTP MJPEG stream's frames carry no timestamps: ffmpeg would take them for 25 fps and the
  // fps filter would pass 1 in 12 of a 2 fps camera; time them by their arrival instead
  else if (/^https?:/i.test(spec.input)) a.push('-use_wallclock_as_timestamps', '1');
  a.push(...spec.input_args, '-i', spec.input, '-an');
  const vf = [`fps=${frameRate}`];
  if (spec.width_px !== undefined || spec.height_px !== undefined)
    vf.push(`scale=${spec.width_px ?? -2}:${spec.height_px ?? -2}`);
  a.push('-vf', vf.join(','));
  if (format === 'jpeg') a.push('-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', '5');
  else a.push('-c:v', 'png');
  a.push('-f', 'image2pipe', 'pipe:1');
  return a;
}

export class FfmpegCamera {
  latest: Frame | undefined;
  /** Why there is no fresh frame (undefined while frames flow). */
  problem: string | undefined = 'camera starting';
  /** ffmpeg processes started so far (one per start/restart). */
  starts = 0;
  private child: ChildProcess | undefined;
  private seq = 0;
  private stderr = '';
  private retryMs: number;
  private retryTimer: TimerHandle | undefined;
  private stopped = false;
  private exited: Promise<void> = Promise.resolve();
  /** Gateway time of the running process's start or its latest whole image. */
  private lastOutputAt = 0;
  private watchdog: TimerHandle | undefined;
  /** Why the watchdog killed the running process (its exit is reported with this). */
  private killedBecause: string | undefined;

  constructor(
    readonly spec: CameraSpec,
    private readonly o: FfmpegCameraOptions,
  ) {
    this.retryMs = o.backoff?.initialMs ?? 1000;
  }

  start(): void {
    if (this.stopped || this.child !== undefined) return;
    const { spec, o } = this;
    if (spec.format === 'v4l2' && !existsSync(spec.input)) {
      this.fail(
        `camera ${spec.id}: video device ${spec.input} does not exist (is the camera plugged in? see ls /dev/video*)`,
      );
      return;
    }
    const args = ffmpegArgs(spec, o.format, o.frameRate);
    let child: ChildProcess;
    try {
      child = spawn(o.ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      this.fail(`camera ${spec.id}: cannot start ffmpeg: ${String(err)}`);
      return;
    }
    this.starts++;
    this.child = child;
    this.stderr = '';
    this.killedBecause = undefined;
    this.lastOutputAt = o.clock.now();
    this.armWatchdog(child);
    const splitter = new FrameSplitter(
      o.format,
      (bytes) => {
        this.latest = { bytes, at: o.clock.now(), seq: ++this.seq };
        this.lastOutputAt = this.latest.at;
        this.problem = undefined;
        this.retryMs = o.backoff?.initialMs ?? 1000;
      },
      (why) => {
        // output that is not a usable image (too large, not an image): the ticks' gaps say so
        // until a good image comes; ffmpeg does write, so it is not restarted as a silent one
        this.problem = `camera ${spec.id}: ${why}`;
        this.lastOutputAt = o.clock.now();
        o.logger.warn({ camera: spec.id }, why);
      },
    );
    child.stdout!.on('data', (c: Buffer) => splitter.push(c));
    child.stderr!.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString('utf8')).slice(-STDERR_KEEP);
    });
    this.exited = new Promise((resolve) => {
      let done = false;
      const finish = (why: string) => {
        if (done) return;
        done = true;
        if (this.child === child) this.child = undefined;
        this.disarmWatchdog();
        if (!this.stopped) this.fail(this.killedBecause ?? why);
        resolve();
      };
      child.on('error', (err: NodeJS.ErrnoException) =>
        finish(
          err.code === 'ENOENT'
            ? `camera ${spec.id}: ffmpeg is not installed (${o.ffmpegPath ?? 'ffmpeg'} not found; install the ffmpeg package)`
            : `camera ${spec.id}: ffmpeg failed: ${err.message}`,
        ),
      );
      child.on('close', (code, signal) => {
        // userinfo in a URL (rtsp://user:pass@…) is never printed
        const last = this.stderr
          .trim()
          .split('\n')
          .pop()
          ?.trim()
          .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
        finish(
          `camera ${spec.id}: ffmpeg exited (${signal ?? `code ${code}`})${last ? `: ${last.slice(0, 300)}` : ''}`,
        );
      });
    });
    o.logger.info({ camera: spec.id, pid: child.pid }, 'camera ffmpeg started');
  }

  /** Process id of the running ffmpeg (undefined when none runs). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private get stallMs(): number {
    return this.o.stallMs ?? stallMsFor(this.o.frameRate);
  }

  /** Checks a few times per stall window that the process still writes images; kills it if not. */
  private armWatchdog(child: ChildProcess): void {
    this.disarmWatchdog();
    const every = Math.max(100, Math.floor(this.stallMs / 4));
    const check = () => {
      this.watchdog = undefined;
      if (this.stopped || this.child !== child) return;
      const silent = this.o.clock.now() - this.lastOutputAt;
      if (silent >= this.stallMs) {
        this.killedBecause = `camera ${this.spec.id}: ffmpeg wrote no image for ${Math.round(silent / 1000)} s (the source sends nothing: a stream gone silent, a camera that does not answer); ffmpeg restarted`;
        child.kill('SIGKILL');
        return;
      }
      this.watchdog = this.o.clock.setTimer(check, every);
    };
    this.watchdog = this.o.clock.setTimer(check, every);
  }

  private disarmWatchdog(): void {
    if (this.watchdog !== undefined) this.o.clock.clearTimer(this.watchdog);
    this.watchdog = undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.disarmWatchdog();
    if (this.retryTimer !== undefined) this.o.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    const child = this.child;
    if (child !== undefined) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 2000);
      await this.exited;
      clearTimeout(t);
    }
    this.latest = undefined;
  }

  private fail(why: string): void {
    this.problem = why;
    this.o.logger.warn({ camera: this.spec.id, retry_ms: this.retryMs }, why);
    if (this.stopped) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.o.backoff?.maxMs ?? 30_000);
    this.retryTimer = this.o.clock.setTimer(() => {
      this.retryTimer = undefined;
      this.start();
    }, delay);
  }
}
