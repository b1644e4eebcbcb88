/**
 * Retention, one suite for both stores (retention.test.ts): a machine's data older than its
 * `retention_policy` days is removed (readings, gap records, images and their bytes), nothing else
 * is, machines without a policy keep everything, and every removal is in the account.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/cloud/retention/contract.js';
import type { CloudStore } from '../../src/cloud/store/contract.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import { ingestFile } from './store-contract.js';
import { meta, readings } from './fixtures.js';

export const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

export function imageRecord(t: number, fill: number): CaptureRecord {
  const binary = new Uint8Array(64).fill(fill);
  return {
    kind: 'reading',
    time_requested: t,
    time_received: t + 1,
    data: { image: { size: binary.length, mime_type: 'image/png' } },
    binary,
  };
}

export const gap = (t: number): CaptureRecord => ({
  kind: 'gap',
  reason: 'board_offline',
  start: t - 5000,
  end: t,
  count: 50,
});

/** m1 keeps 7 days, m2 30 days, m3 has no policy; each has 10 readings + 1 gap on 3 days. */
export async function seed(store: CloudStore): Promise<void> {
  for (const machine of ['m1', 'm2', 'm3'])
    for (const ago of [40, 20, 3]) {
      const t0 = NOW - ago * DAY_MS;
      await store.ingest(
        ingestFile(meta({ machine, part_id: `${machine}-main` }), [
          ...readings(10, t0),
          gap(t0 + 2000),
        ]),
      );
      await store.ingest(
        ingestFile(
          meta({
            machine,
            part_id: `${machine}-main`,
            component_type: 'camera',
            component_name: 'cam',
            method_name: 'ReadImage',
          }),
          [imageRecord(t0 + 3000, ago)],
        ),
      );
    }
  await store.retention.setPolicy('m1', 7, 'test');
  await store.retention.setPolicy('m2', 30, 'test');
}

export function retentionContract(
  name: string,
  open: () => Promise<{ store: CloudStore; cleanup: () => Promise<void> }>,
): void {
  describe(`retention on ${name}`, () => {
    let store: CloudStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await open());
    });
    afterEach(async () => {
      await store.close();
      await cleanup();
    });

    const days = async (machine: string): Promise<number[]> => {
      const page = await store.query({ machine: [machine] }, { limit: 1000, order: 'asc' });
      return [...new Set(page.rows.map((r) => Math.round((NOW - r.time_received) / DAY_MS)))];
    };

    it('removes what is past each machine’s policy and nothing else', async () => {
      await seed(store);
      const before = await store.count({});
      const events = await store.retention.enforce(NOW);
      expect(await days('m1')).toEqual([3]);
      expect(await days('m2')).toEqual([20, 3]);
      expect(await days('m3')).toEqual([40, 20, 3]);
      const sum = (m: string, k: 'readings' | 'gaps' | 'images') =>
        events.filter((e) => e.machine === m).reduce((a, e) => a + e[k], 0);
      // m1: days 40 and 20, m2: day 40 — 10 readings + 1 image reading, 1 gap each
      expect([sum('m1', 'readings'), sum('m1', 'gaps'), sum('m1', 'images')]).toEqual([22, 2, 2]);
      expect([sum('m2', 'readings'), sum('m2', 'gaps'), sum('m2', 'images')]).toEqual([11, 1, 1]);
      expect(events.some((e) => e.machine === 'm3')).toBe(false);
      expect(await store.count({})).toBe(before - 36);
      // images: m1 keeps one, m2 two, m3 three; removed bytes are gone, kept ones readable
      const imgs = await store.images.listImages({}, { limit: 100, order: 'asc' });
      expect(imgs.images.map((i) => i.machine).sort()).toEqual([
        'm1',
        'm2',
        'm2',
        'm3',
        'm3',
        'm3',
      ]);
      for (const im of imgs.images)
        expect((await store.images.image(im.id))?.bytes.length).toBe(64);
      // the account: stored, newest first, with the policy and the cut
      const log = await store.retention.events(100);
      const logged = log.filter((e) => e.machine === 'm1').reduce((a, e) => a + e.readings, 0);
      expect(logged).toBe(22);
      expect(log.every((e) => e.cutoff_ms === NOW - e.days * DAY_MS)).toBe(true);
      // nothing more to do at the same time
      expect(await store.retention.enforce(NOW)).toEqual([]);
    });

    it('keeps everything without a policy, and again after a policy is cleared', async () => {
      await seed(store);
      await store.retention.setPolicy('m1', null, 'test');
      await store.retention.setPolicy('m2', null, 'test');
      const before = await store.count({});
      expect(await store.retention.enforce(NOW + 365 * DAY_MS)).toEqual([]);
      expect(await store.count({})).toBe(before);
      expect(await store.retention.policies()).toEqual([]);
    });

    it('lists policies', async () => {
      await seed(store);
      const p = await store.retention.policies();
      expect(p.map((x) => [x.machine, x.days, x.author])).toEqual([
        ['m1', 7, 'test'],
        ['m2', 30, 'test'],
      ]);
    });
  });
}
