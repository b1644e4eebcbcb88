/** Test helpers for the capture engine: a plan builder, a recording sink, fake-clock stepping. */
import type { CapturePlan, PlanEntry, BoardSpec } from '../../../src/config/plan.js';
import { DATA_MANAGER_DEFAULTS } from '../../../src/config/settings.js';
import type {
  CaptureMeta,
  CaptureRecord,
  GapRecord,
  ReadingRecord,
} from '../../../src/shared/record.js';
import type { Clock, FakeClock } from '../../../src/shared/clock.js';
import { BoardRegistry } from '../../../src/boards/registry.js';
import { SimBoard } from '../../../src/boards/sim.js';

export class RecordingSink {
  readonly records: { key: string; meta: CaptureMeta; rec: CaptureRecord }[] = [];
  append(key: string, meta: CaptureMeta, rec: CaptureRecord): void {
    this.records.push({ key, meta, rec });
  }
  async flush(): Promise<void> {}
  readings(key: string): ReadingRecord[] {
    return this.records
      .filter((r) => r.key === key && r.rec.kind === 'reading')
      .map((r) => r.rec as ReadingRecord);
  }
  gaps(key?: string): GapRecord[] {
    return this.records
      .filter((r) => (key === undefined || r.key === key) && r.rec.kind === 'gap')
      .map((r) => r.rec as GapRecord);
  }
}

export const hardware = {
  analogs: [
    { name: 'A1', pin: '34' },
    { name: 'A2', pin: '35' },
  ],
  pins: ['27'],
};

export function board(id: string, query = ''): BoardSpec {
  return {
    id,
    address: `sim://${id}${query ? `?${query}` : ''}`,
    transport: 'sim',
    components: [{ name: 'my-esp32', type: 'board', hardware }],
  };
}

export function entry(
  boardId: string,
  method: 'Analogs' | 'Gpio',
  readers: string[],
  hz: number,
  extra: Partial<PlanEntry> = {},
): PlanEntry {
  return {
    key: `${boardId}/board/my-esp32/${method}/${readers.join(',')}`,
    boardId,
    component_type: 'board',
    component_name: 'my-esp32',
    resource: 'rdk:component:board/my-esp32',
    method,
    readers,
    hz,
    additional_params: {},
    tags: [],
    supported: true,
    ...extra,
  };
}

export function plan(
  boards: BoardSpec[],
  entries: PlanEntry[],
  dm: Partial<CapturePlan['dataManager']> = {},
): CapturePlan {
  return {
    gateway: { broker: { mode: 'embedded', host: '127.0.0.1', port: 0 }, sync: null, http: null },
    machine: 'test-gw',
    part_id: 'test-part',
    // wharf's defaults, with sync off and a capture dir that must not be written unless a test sets one
    dataManager: {
      ...DATA_MANAGER_DEFAULTS,
      capture_dir: '/nonexistent',
      sync_disabled: true,
      tags: [],
      ...dm,
    },
    boards,
    entries,
    warnings: [],
  };
}

const microtasks = () => new Promise<void>((r) => setImmediate(r));

/** Advance a fake clock in steps, letting promise callbacks run between steps. */
export async function run(clock: FakeClock, ms: number, stepMs = 1): Promise<void> {
  const end = clock.now() + ms;
  await microtasks();
  while (clock.now() < end) {
    clock.advance(Math.min(stepMs, end - clock.now()));
    await microtasks();
  }
}

/** A registry of sim boards that keeps a handle on each board it creates (to script it). */
export function simRegistry(clock: Clock): {
  registry: BoardRegistry;
  boards: Map<string, SimBoard>;
} {
  const boards = new Map<string, SimBoard>();
  const registry = new BoardRegistry().register({
    scheme: 'sim',
    create: (spec) => {
      const b = new SimBoard(
        { id: spec.id, address: spec.address, hardware: spec.hardware },
        clock,
      );
      boards.set(spec.id, b);
      return b;
    },
  });
  return { registry, boards };
}

/** engine.stop() waits for reads in flight: keep the fake clock moving until it resolves. */
export async function stopOn(clock: FakeClock, engine: { stop(): Promise<void> }): Promise<void> {
  let done = false;
  const p = engine.stop().finally(() => {
    done = true;
  });
  await microtasks();
  for (let i = 0; i < 100_000 && !done; i++) {
    clock.advance(1);
    await microtasks();
  }
  await p;
}
