/**
 * Runs the plan's cameras: one FfmpegCamera (one ffmpeg process) per camera and image format, and
 * one ImageCollector per `ReadImage`/`GetImages` entry, writing to the same RecordSink as the board
 * collectors (so image records get the capture files' promises: checksummed frames, flush interval,
 * recovery, disk budget). `apply(plan)` is live: a camera whose spec or entries changed is
 * restarted, the others keep running untouched.
 */
import { randomBytes } from 'node:crypto';
import {
  cameraOf,
  type CameraSpec,
  type CapturePlan,
  type PlanEntry,
  periodMs,
} from '../../config/plan.js';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { CaptureMetrics } from '../capture-metrics.js';
import { metaFor } from '../engine-plan.js';
import { EntryOutput, type RecordSink } from '../entry-output.js';
import { FfmpegCamera, stallMsFor } from './ffmpeg-camera.js';
import { SnapshotCamera } from './snapshot-camera.js';
import { OnDemandCameras, type CameraProcess } from './on-demand.js';
import type { ImageFormat } from './frame-splitter.js';
import { ImageCollector, type ImageSource } from './image-collector.js';
import type { PausedEntry } from '../paused.js';
import { resumeGap } from '../resume-gap.js';
import { SidePauses, lastAccounted } from '../side-pauses.js';

/** One camera process as `/status` shows it. */
export interface CameraStatus {
  camera: string;
  pid: number | undefined;
  problem: string | undefined;
}

export interface CameraCaptureDeps {
  sink: RecordSink;
  clock: Clock;
  logger: Logger;
  metrics: CaptureMetrics;
  ffmpegPath?: string;
  backoff?: { initialMs: number; maxMs: number };
  /** Entry key → last durable instant and why it stopped (checkpoint), consumed at first start. */
  resume?: Map<string, PausedEntry>;
  /** A camera process started only to serve other gateways stops after this long unused (30 s). */
  serveIdleMs?: number;
  /** Paused entries the engine holds from the checkpoint (SidePauses), handed over on demand. */
  pausedElsewhere?: (key: string) => PausedEntry | undefined;
}

interface Running {
  fingerprint: string;
  processes: CameraProcess[];
  byFormat: Map<ImageFormat, CameraProcess>;
  collectors: ImageCollector[];
}

/** What another gateway is served: the latest frame of a process, with an id unique per process. */
export interface ServedSource {
  source: ImageSource;
  /** Unique: this gateway run, the camera process object and its frame number (which counts over
   * every restart of its ffmpeg, so a frame kept across a restart keeps its id; a frame of the
   * next gateway run never has the id of one an asker got from this run). */
  frameId(seq: number): string;
}

/** Frames/s ffmpeg writes: the configured frame_rate, else 2 × the fastest entry (2 … 30). */
export function cameraFrameRate(spec: CameraSpec, entries: readonly PlanEntry[]): number {
  if (spec.frame_rate !== undefined) return spec.frame_rate;
  const hz = Math.max(0, ...entries.map((e) => e.hz));
  return Math.min(30, Math.max(2, Math.ceil(hz * 2)));
}

const formatOf = (e: PlanEntry): ImageFormat =>
  e.additional_params.mime_type === 'image/png' ? 'png' : 'jpeg';

export class CameraCapture {
  private readonly running = new Map<string, Running>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private flushTimer: TimerHandle | undefined;
  private flushMs = 1000;
  private readonly onDemand: OnDemandCameras;
  private readonly serials = new WeakMap<object, number>();
  /** Tells this run's frame ids from a previous run's (an asker keeps its last id across our restart). */
  private readonly runId = randomBytes(4).toString('hex');
  private nextSerial = 1;

  private readonly pauses: SidePauses;

  constructor(private readonly deps: CameraCaptureDeps) {
    this.pauses = new SidePauses(deps.resume, deps.pausedElsewhere);
    this.onDemand = new OnDemandCameras(deps.clock, deps.serveIdleMs ?? 30_000, (sp, f, r) =>
      this.makeProcess(sp, f, r),
    );
  }

  /** Entries not capturing now (removed, disabled), for the checkpoint. */
  pausedEntries(): ReadonlyMap<string, PausedEntry> {
    return this.pauses.map;
  }

  /** Pending (merged) gaps go to the sink every flush interval, so they are durable like records. */
  private armFlush(): void {
    if (this.flushTimer !== undefined || this.stopped) return;
    this.flushTimer = this.deps.clock.setTimer(() => {
      this.flushTimer = undefined;
      for (const o of this.outputs()) o.flushGap();
      if (this.running.size > 0) this.armFlush();
    }, this.flushMs);
  }

  apply(plan: CapturePlan): Promise<void> {
    const run = () => this.applyNow(plan);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** The running ffmpeg processes (camera id, format, pid, problem) for /status and tests. */
  status(): CameraStatus[] {
    return [
      ...[...this.running.values()].flatMap((r) => r.processes),
      ...this.onDemand.processes(),
    ].map((p) => ({ camera: p.spec.id, pid: p.pid, problem: p.problem }));
  }

  /**
   * The latest frames of a local camera for another gateway (GET /camera/frame): the process its
   * capture runs, else one started on demand (at `fps`, 2 … 30) and stopped after `serveIdleMs`
   * without a request. Undefined once stopped.
   */
  serve(spec: CameraSpec, format: ImageFormat, fps: number): ServedSource | undefined {
    if (this.stopped) return undefined;
    const cam =
      this.running.get(spec.id)?.byFormat.get(format) ?? this.onDemand.get(spec, format, fps);
    if (cam === undefined) return undefined;
    const c: CameraProcess = cam;
    let serial = this.serials.get(c);
    if (serial === undefined) this.serials.set(c, (serial = this.nextSerial++));
    return { source: c, frameId: (seq) => `${this.runId}-${serial}-${seq}` };
  }

  outputs(): EntryOutput[] {
    if (this.stopped) return this.finalOutputs;
    return [...this.running.values()].flatMap((r) => r.collectors.map((c) => c.out));
  }

  /** The outputs at stop: still listed so the final checkpoint has their last times. */
  private finalOutputs: EntryOutput[] = [];

  async stop(): Promise<void> {
    this.finalOutputs = this.outputs();
    this.stopped = true;
    if (this.flushTimer !== undefined) this.deps.clock.clearTimer(this.flushTimer);
    this.flushTimer = undefined;
    const run = async () => {
      await this.onDemand.close();
      await Promise.all([...this.running.keys()].map((id) => this.stopCamera(id)));
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    await p;
  }

  private async applyNow(plan: CapturePlan): Promise<void> {
    if (this.stopped) return;
    const want = new Map<string, { spec: CameraSpec; entries: PlanEntry[] }>();
    if (!plan.dataManager.capture_disabled) {
      for (const spec of plan.cameras ?? []) {
        const entries = plan.entries.filter(
          (e) => cameraOf([spec], e) !== undefined && e.supported && e.hz > 0,
        );
        if (entries.length > 0) want.set(spec.id, { spec, entries });
      }
    }
    const fp = (w: { spec: CameraSpec; entries: PlanEntry[] }) =>
      JSON.stringify([w.spec, w.entries.map((e) => [e, metaFor(plan, e)])]);
    const wantKeys = new Set([...want.values()].flatMap((w) => w.entries.map((e) => e.key)));
    // an entry that goes on (its camera restarted) continues its tick grid after its last tick;
    // one that is no longer wanted is paused with the reason (method_disabled, capture_disabled)
    const goesOn = new Map<string, number>();
    for (const [id, r] of [...this.running]) {
      const w = want.get(id);
      if (w !== undefined && fp(w) === r.fingerprint) continue;
      await this.stopCamera(id);
      for (const c of r.collectors) {
        const last = lastAccounted(c.out);
        if (!wantKeys.has(c.entry.key)) this.pauses.pause(c.entry.key, c.out, plan);
        else if (last !== undefined) goesOn.set(c.entry.key, last);
      }
    }
    this.pauses.rename(
      plan,
      wantKeys,
      (e) => cameraOf(plan.cameras, e) !== undefined,
      this.deps.clock.now(),
      this.deps.sink,
    );
    this.flushMs = plan.dataManager.flush_interval_ms;
    for (const [id, w] of want) {
      if (this.running.has(id)) continue;
      await this.onDemand.stop(id);
      this.startCamera(plan, w.spec, w.entries, fp(w), goesOn);
    }
    if (this.running.size > 0) this.armFlush();
  }

  private startCamera(
    plan: CapturePlan,
    spec: CameraSpec,
    entries: PlanEntry[],
    fingerprint: string,
    goesOn: ReadonlyMap<string, number>,
  ): void {
    const { clock, sink, metrics } = this.deps;
    const frameRate = cameraFrameRate(spec, entries);
    // a camera captured slowly may be a slow source: no image for 3 of its longest periods is a stall
    const stallMs = Math.max(
      stallMsFor(frameRate),
      3 * Math.max(...entries.map((e) => periodMs(e.hz))),
    );
    const processes = new Map<ImageFormat, CameraProcess>();
    const collectors: ImageCollector[] = [];
    for (const e of entries) {
      const format = formatOf(e);
      let cam = processes.get(format);
      if (cam === undefined) {
        cam = this.makeProcess(spec, format, frameRate, stallMs);
        processes.set(format, cam);
      }
      const out = new EntryOutput(
        e.key,
        e.boardId,
        metaFor(plan, e),
        sink,
        metrics,
        plan.dataManager.flush_interval_ms,
        periodMs(e.hz),
      );
      collectors.push(new ImageCollector(e, out, cam, clock));
    }
    for (const p of processes.values()) p.start();
    for (const c of collectors) {
      const paused = this.pauses.take(c.entry.key);
      const after = goesOn.get(c.entry.key);
      c.start(after ?? resumeGap(c.out, paused, c.period, clock.now()));
    }
    this.running.set(spec.id, {
      fingerprint,
      processes: [...processes.values()],
      byFormat: processes,
      collectors,
    });
  }

  private makeProcess(
    spec: CameraSpec,
    format: ImageFormat,
    frameRate: number,
    stallMs?: number,
  ): CameraProcess {
    const { clock, logger } = this.deps;
    if (spec.snapshot === true)
      return new SnapshotCamera(spec, {
        frameRate,
        format,
        clock,
        logger: logger.child({ camera: spec.id }),
      });
    return new FfmpegCamera(spec, {
      frameRate,
      format,
      clock,
      logger: logger.child({ camera: spec.id }),
      ...(this.deps.ffmpegPath !== undefined ? { ffmpegPath: this.deps.ffmpegPath } : {}),
      ...(this.deps.backoff !== undefined ? { backoff: this.deps.backoff } : {}),
      ...(stallMs !== undefined ? { stallMs } : {}),
    });
  }

  private async stopCamera(id: string): Promise<void> {
    const r = this.running.get(id);
    if (r === undefined) return;
    this.running.delete(id);
    for (const c of r.collectors) c.stop();
    await Promise.all(r.processes.map((p) => p.stop()));
  }
}
