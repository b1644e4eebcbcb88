import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { FileCaptureStore } from '../../../src/capture/file-store.js';
import { decodeCaptureFile } from '../../../src/capture/file-format.js';
import { listFinishedFiles, walkCaptureDir } from '../../../src/capture/files.js';
import { recoverCaptureDir } from '../../../src/capture/recovery.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { CaptureMeta } from '../../../src/shared/record.js';
import { fixedMeta } from './arbitraries.js';
import { SimDisk, writeSnapshot } from './sim-disk.js';
import { useTempDirs } from './tmp.js';

const tempDir = useTempDirs();
const metas: CaptureMeta[] = [
  fixedMeta,
  { ...fixedMeta, method_name: 'Gpio' },
  { ...fixedMeta, component_name: 'other' },
];

type Action =
  | { op: 'append'; key: number; n: number }
  | { op: 'flush' }
  | { op: 'rotate' }
  | { op: 'tick'; n: number }
  | { op: 'clock'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  {
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      key: fc.nat(2),
      n: fc.integer({ min: 1, max: 120 }),
    }),
    weight: 6,
  },
  { arbitrary: fc.constant({ op: 'flush' as const }), weight: 3 },
  { arbitrary: fc.constant({ op: 'rotate' as const }), weight: 1 },
  // let the writer's I/O run for a while (each simulated disk operation takes one event-loop turn)
  {
    arbitrary: fc.record({ op: fc.constant('tick' as const), n: fc.integer({ min: 1, max: 30 }) }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('clock' as const),
      ms: fc.integer({ min: 1, max: 400 }),
    }),
    weight: 2,
  },
);

describe('power cut (simulated POSIX durability: only fsynced bytes and fsynced directory entries survive)', () => {
  it('every record covered by a resolved flush() survives, as an in-order prefix, and recovery leaves every file readable', async () => {
    const stats = { promised: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(action, { minLength: 1, maxLength: 60 }),
        fc.nat(),
        fc.nat(),
        async (actions, tornSeed, zeroSeed) => {
          const disk = new SimDisk('/sim/capture');
          const clock = new FakeClock();
          const store = new FileCaptureStore({
            dir: '/sim/capture',
            clock,
            logger: nullLogger,
            io: disk,
            settings: {
              flush_interval_ms: 200,
              maximum_capture_file_size_bytes: 3000,
              maximum_capture_file_age_ms: 1000,
            },
          });
          const next = [0, 0, 0];
          const promised = [0, 0, 0];
          for (const a of actions) {
            if (a.op === 'append') {
              for (let i = 0; i < a.n; i++) {
                const seq = next[a.key]!++;
                store.append(`k${a.key}`, metas[a.key]!, {
                  kind: 'reading',
                  time_requested: seq,
                  time_received: seq,
                  data: {
                    A1: { value: seq % 4096, min_range: 0, max_range: 3.3, step_size: 0.001 },
                  },
                });
              }
            } else if (a.op === 'flush' || a.op === 'rotate') {
              const covered = next.slice();
              void (a.op === 'flush' ? store.flush() : store.rotateAll()).then(() =>
                covered.forEach((c, k) => (promised[k] = Math.max(promised[k]!, c))),
              );
            } else if (a.op === 'tick') {
              for (let i = 0; i < a.n; i++) await new Promise((r) => setImmediate(r));
            } else clock.advance(a.ms);
          }
          // Power cut now, possibly in the middle of a flush or a rotation.
          const snapshot = disk.cut((unsynced) => {
            const keep = unsynced.slice(
              0,
              unsynced.length === 0 ? 0 : tornSeed % (unsynced.length + 1),
            );
            if (keep.length > 0 && zeroSeed % 3 === 0) keep.fill(0, zeroSeed % keep.length); // page cache wrote the size, not the data
            return keep;
          });
          const promisedAtCut = promised.slice();
          stats.promised += promisedAtCut.reduce((x, y) => x + y, 0);
          const real = await tempDir();
          await writeSnapshot(real, snapshot);
          const report = await recoverCaptureDir(real, nullLogger);
          expect(report.errors).toEqual([]);
          expect(await walkCaptureDir(real, ['.prog'])).toEqual([]);
          const seqs: number[][] = [[], [], []];
          for (const f of await listFinishedFiles(real)) {
            const d = decodeCaptureFile(await readFile(f.path));
            expect(d.torn).toBeNull();
            const k = metas.findIndex((m) => JSON.stringify(m) === JSON.stringify(d.header.meta));
            for (const r of d.records) if (r.kind === 'reading') seqs[k]!.push(r.time_requested);
          }
          for (let k = 0; k < 3; k++) {
            expect(seqs[k]!.length).toBeGreaterThanOrEqual(promisedAtCut[k]!); // nothing promised was lost
            expect(seqs[k]!.every((v, i) => v === i)).toBe(true); // no hole, no duplicate, in order
          }
          // failed/ may only hold files that never had a synced byte promised (torn unsynced headers)
          for (const f of report.failed) expect(f.reason).toMatch(/header|shorter|magic/);
        },
      ),
      { numRuns: 150 },
    );
    expect(stats.promised).toBeGreaterThan(300); // the runs did promise durability often
  });
});
