/**
 * Camera processes started only to serve other gateways (GET /camera/frame, docs/cameras.md): one
 * per camera and format, shared by every request, stopped after `idleMs` without a request (and
 * before the camera's own capture starts one: one device, one user).
 */
import type { CameraSpec } from '../../config/plan.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { FfmpegCamera } from './ffmpeg-camera.js';
import type { ImageFormat } from './frame-splitter.js';
import type { SnapshotCamera } from './snapshot-camera.js';

export type CameraProcess = FfmpegCamera | SnapshotCamera;

interface OnDemand {
  id: string;
  cam: CameraProcess;
  usedAt: number;
  frameRate: number;
}

export class OnDemandCameras {
  private readonly running = new Map<string, OnDemand>();
  private timer: TimerHandle | undefined;
  private readonly stopping = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly make: (spec: CameraSpec, format: ImageFormat, fps: number) => CameraProcess,
  ) {}

  /** The process for this camera and format, started if needed; marks it used now. */
  get(spec: CameraSpec, format: ImageFormat, fps: number): CameraProcess | undefined {
    if (this.closed) return undefined;
    const key = `${spec.id}|${format}`;
    let d = this.running.get(key);
    const frameRate = spec.frame_rate ?? Math.min(30, Math.max(2, Math.ceil(fps)));
    if (d !== undefined && frameRate > d.frameRate) {
      // a faster asker: the process restarts at its rate (a slower one takes what there is)
      this.running.delete(key);
      this.track(d.cam.stop());
      d = undefined;
    }
    if (d === undefined) {
      d = { id: spec.id, cam: this.make(spec, format, frameRate), usedAt: 0, frameRate };
      this.running.set(key, d);
      d.cam.start();
      this.arm();
    }
    d.usedAt = this.clock.now();
    return d.cam;
  }

  processes(): CameraProcess[] {
    return [...this.running.values()].map((d) => d.cam);
  }

  /** Stop the processes of camera `id` (all when undefined) and wait for them. */
  async stop(id?: string): Promise<void> {
    for (const [k, d] of [...this.running])
      if (id === undefined || d.id === id) {
        this.running.delete(k);
        this.track(d.cam.stop());
      }
    await Promise.all([...this.stopping]);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.stop();
  }

  private track(p: Promise<void>): void {
    const q: Promise<void> = p.finally(() => this.stopping.delete(q));
    this.stopping.add(q);
  }

  private arm(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        const now = this.clock.now();
        for (const [k, d] of [...this.running])
          if (now - d.usedAt >= this.idleMs) {
            this.running.delete(k);
            this.track(d.cam.stop());
          }
        if (this.running.size > 0) this.arm();
      },
      Math.max(50, this.idleMs / 4),
    );
  }
}
