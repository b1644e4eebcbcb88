/**
 * One `ReadImage`/`GetImages` entry: at each tick (TickScheduler, drift-free) it takes the camera's
 * latest image if it is fresh, else it writes a gap with the true reason. Fresh means: it arrived
 * at most one period before the tick and it has not been recorded before. A stale image is never
 * recorded as a new one.
 *   - the camera has a problem (no device, ffmpeg exited, URL unreachable): `read_error` + why;
 *   - frames flow but none is fresh: `timeout` ("the newest is N ms old");
 *   - ticks skipped by a stalled event loop: `missed_ticks`.
 */
import { periodMs } from '../../config/plan.js';
import type { PlanEntry } from '../../config/plan.js';
import type { Clock } from '../../shared/clock.js';
import type { EntryOutput } from '../entry-output.js';
import { TickScheduler } from '../scheduler.js';
import type { Frame } from './ffmpeg-camera.js';

/** What a collector reads from: FfmpegCamera or SnapshotCamera. */
export interface ImageSource {
  readonly spec: { id: string };
  readonly latest: Frame | undefined;
  readonly problem: string | undefined;
  /** Processes started so far. Frame numbers (`seq`) never restart: they count over every process
   * of the source, so a frame recorded before a restart is never taken for a new one after it. */
  readonly starts: number;
}

export class ImageCollector {
  private readonly scheduler: TickScheduler;
  private lastSeq = 0;
  private lastDetail: string | undefined;
  readonly period: number;
  private readonly mime: string;

  constructor(
    readonly entry: PlanEntry,
    readonly out: EntryOutput,
    private readonly camera: ImageSource,
    private readonly clock: Clock,
  ) {
    this.period = periodMs(entry.hz);
    this.mime = String(entry.additional_params.mime_type ?? 'image/jpeg');
    this.scheduler = new TickScheduler({
      clock,
      hz: entry.hz,
      onTick: (t) => this.tick(t),
      onMissed: (m) =>
        this.out.gap(
          'missed_ticks',
          m.start,
          m.end,
          m.count,
          'the gateway could not run the ticks (stalled)',
        ),
    });
  }

  /** `after`: the last instant already accounted (restart), the grid continues one period later. */
  start(after?: number): void {
    this.scheduler.start(after === undefined ? this.clock.now() : after + this.period);
  }

  stop(): void {
    this.scheduler.stop();
    this.out.flushGap();
  }

  private tick(t: number): void {
    const cam = this.camera;
    const now = this.clock.now();
    const f = cam.latest;
    if (f !== undefined && f.seq > this.lastSeq && now - f.at <= this.period) {
      this.lastSeq = f.seq;
      this.out.reading({
        kind: 'reading',
        time_requested: t,
        // a timer may fire a fraction of a ms before its deadline: received is never before requested
        time_received: Math.max(now, t),
        data: { image: { size: f.bytes.length, mime_type: this.mime } },
        binary: f.bytes,
      });
      return;
    }
    if (cam.problem !== undefined) {
      this.gap('read_error', t, cam.problem);
    } else if (f === undefined) {
      this.gap('read_error', t, `camera ${cam.spec.id}: no image received yet`);
    } else {
      this.gap(
        'timeout',
        t,
        `camera ${cam.spec.id}: no new image within one period (${Math.round(this.period)} ms)`,
      );
    }
  }

  /** Gaps merge by reason; a new cause (a new detail) starts a new gap record so it is not hidden. */
  private gap(reason: 'read_error' | 'timeout', t: number, detail: string): void {
    if (detail !== this.lastDetail) this.out.flushGap();
    this.lastDetail = detail;
    this.out.gap(reason, t, t, 1, detail);
  }
}
