/**
 * Runs the plan's gateway sensors: one collector per `Readings` entry on the drift-free tick
 * scheduler, writing one reading per tick to the same RecordSink as every other collector. A read
 * that fails is a `read_error` gap with the reason; a tick that comes while the previous read is
 * still running is a `missed_ticks` gap (a read never piles up behind another).
 */
import { periodMs } from '../../config/plan.js';
import type { CapturePlan, PlanEntry, SensorSpec } from '../../config/plan.js';
import type { Clock } from '../../shared/clock.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { CaptureMetrics } from '../capture-metrics.js';
import { metaFor } from '../engine-plan.js';
import { EntryOutput, type RecordSink } from '../entry-output.js';
import { TickScheduler } from '../scheduler.js';
import { readHealth, type HealthSources } from './gateway-health.js';
import type { PausedEntry } from '../paused.js';
import { resumeGap } from '../resume-gap.js';
import { SidePauses, lastAccounted } from '../side-pauses.js';

export interface SensorCaptureDeps {
  sink: RecordSink;
  clock: Clock;
  logger: Logger;
  metrics: CaptureMetrics;
  /** Where health values come from (tests point thermalDir at a directory of their own). */
  sources?: Omit<HealthSources, 'captureDir'>;
  /** Entry key → last durable instant and why it stopped (checkpoint), consumed at first start. */
  resume?: Map<string, PausedEntry>;
  /** Paused entries the engine holds from the checkpoint (SidePauses), handed over on demand. */
  pausedElsewhere?: (key: string) => PausedEntry | undefined;
}

class SensorCollector {
  private readonly scheduler: TickScheduler;
  private busy = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    readonly out: EntryOutput,
    private readonly hz: number,
    private readonly read: () => Promise<Record<string, { value: number }>>,
    private readonly clock: Clock,
  ) {
    this.scheduler = new TickScheduler({
      clock,
      hz,
      onTick: (t) => this.tick(t),
      onMissed: (m) =>
        out.gap(
          'missed_ticks',
          m.start,
          m.end,
          m.count,
          'the gateway could not run the ticks (stalled)',
        ),
    });
  }

  start(after?: number): void {
    this.scheduler.start(after === undefined ? this.clock.now() : after + periodMs(this.hz));
  }

  async stop(): Promise<void> {
    this.scheduler.stop();
    await this.inFlight;
    this.out.flushGap();
  }

  private tick(t: number): void {
    if (this.busy) {
      this.out.gap('missed_ticks', t, t, 1, 'previous read still in flight');
      return;
    }
    this.busy = true;
    this.inFlight = this.read().then(
      (data) => {
        this.busy = false;
        this.out.reading({
          kind: 'reading',
          time_requested: t,
          time_received: Math.max(this.clock.now(), t),
          data,
        });
      },
      (err: unknown) => {
        this.busy = false;
        this.out.gap('read_error', t, t, 1, `gateway health: ${errorMessage(err)}`);
      },
    );
  }
}

export class SensorCapture {
  private running = new Map<string, { fingerprint: string; collector: SensorCollector }>();
  private stopped = false;
  private readonly pauses: SidePauses;

  constructor(private readonly deps: SensorCaptureDeps) {
    this.pauses = new SidePauses(deps.resume, deps.pausedElsewhere);
  }

  /** Entries not capturing now (removed, disabled), for the checkpoint. */
  pausedEntries(): ReadonlyMap<string, PausedEntry> {
    return this.pauses.map;
  }

  outputs(): EntryOutput[] {
    return [...this.running.values()].map((r) => r.collector.out);
  }

  async apply(plan: CapturePlan): Promise<void> {
    if (this.stopped) return;
    const want = new Map<string, { spec: SensorSpec; entry: PlanEntry }>();
    if (!plan.dataManager.capture_disabled) {
      for (const spec of plan.sensors ?? [])
        for (const e of plan.entries)
          if (e.boardId === spec.id && e.component_type === 'sensor' && e.supported && e.hz > 0)
            want.set(e.key, { spec, entry: e });
    }
    const fp = (w: { spec: SensorSpec; entry: PlanEntry }) =>
      JSON.stringify([w.spec, w.entry, metaFor(plan, w.entry), plan.dataManager.capture_dir]);
    // a changed entry continues its tick grid; a removed or disabled one is paused with the reason
    const goesOn = new Map<string, number>();
    for (const [key, r] of [...this.running]) {
      const w = want.get(key);
      if (w === undefined || fp(w) !== r.fingerprint) {
        this.running.delete(key);
        await r.collector.stop();
        const last = lastAccounted(r.collector.out);
        if (w === undefined) this.pauses.pause(key, r.collector.out, plan);
        else if (last !== undefined) goesOn.set(key, last);
      }
    }
    const { sink, clock, metrics } = this.deps;
    this.pauses.rename(
      plan,
      new Set(want.keys()),
      (e) => e.component_type === 'sensor' && (plan.sensors ?? []).some((c) => c.id === e.boardId),
      clock.now(),
      sink,
    );
    for (const [key, w] of want) {
      if (this.running.has(key)) continue;
      const e = w.entry;
      const out = new EntryOutput(
        key,
        e.boardId,
        metaFor(plan, e),
        sink,
        metrics,
        plan.dataManager.flush_interval_ms,
        periodMs(e.hz),
      );
      const sources: HealthSources = {
        ...this.deps.sources,
        captureDir: plan.dataManager.capture_dir,
      };
      const c = new SensorCollector(out, e.hz, () => readHealth(sources), clock);
      this.running.set(key, { fingerprint: fp(w), collector: c });
      const paused = this.pauses.take(key);
      c.start(goesOn.get(key) ?? resumeGap(out, paused, periodMs(e.hz), clock.now()));
    }
  }

  /** Stops every collector; they stay listed so the final checkpoint has their last times. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running.values()].map((r) => r.collector.stop()));
  }
}
