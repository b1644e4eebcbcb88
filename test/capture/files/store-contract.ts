/**
 * The CaptureStore contract, run against every implementation (store-contract.test.ts).
 * A harness builds a store on a FakeClock, reads back what is durable, and can break and heal
 * the store's I/O the way a full or failing disk would.
 */
import { describe, expect, it, afterEach } from 'vitest';
import type { CaptureStore } from '../../../src/capture/capture-store.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { isWharfError } from '../../../src/shared/errors.js';
import type { CaptureMeta, CaptureRecord } from '../../../src/shared/record.js';
import { analogReading, fixedMeta } from './arbitraries.js';

export interface StoredFile {
  meta: CaptureMeta;
  records: CaptureRecord[];
  finished: boolean;
}

export interface StoreHarness {
  store: CaptureStore;
  clock: FakeClock;
  /** Every file with its durable records (what a crash now would leave), oldest first. */
  durable(): Promise<StoredFile[]>;
  /** Make I/O for the component type 'broken' fail until heal() is called. */
  breakIO(): Promise<void>;
  healIO(): Promise<void>;
  dispose(): Promise<void>;
}

export type HarnessFactory = (opts: { flushIntervalMs: number }) => Promise<StoreHarness>;

const gpioMeta: CaptureMeta = {
  ...fixedMeta,
  component_name: 'other',
  method_name: 'Gpio',
  additional_parameters: {},
};
const brokenMeta: CaptureMeta = { ...fixedMeta, component_type: 'broken' };
const gap: CaptureRecord = {
  kind: 'gap',
  reason: 'board_offline',
  start: 1,
  end: 2,
  count: 7,
  detail: 'link down',
};

function recordsOf(files: StoredFile[], meta: CaptureMeta): CaptureRecord[] {
  return files
    .filter((f) => JSON.stringify(f.meta) === JSON.stringify(meta))
    .flatMap((f) => f.records);
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function captureStoreContract(name: string, make: HarnessFactory): void {
  describe(`CaptureStore contract: ${name}`, () => {
    let h: StoreHarness | undefined;
    const setup = async (flushIntervalMs = 1000) => (h = await make({ flushIntervalMs }));
    afterEach(async () => {
      await h?.dispose();
      h = undefined;
    });

    it('records appended before flush() are durable when it resolves, in order, per key, with their meta', async () => {
      const { store, durable } = await setup();
      const a = Array.from({ length: 50 }, (_, i) => analogReading(i));
      for (let i = 0; i < 50; i++) {
        store.append('k1', fixedMeta, a[i]!);
        if (i % 10 === 0) store.append('k2', gpioMeta, gap);
      }
      expect(store.stats()).toMatchObject({ appended: 55, durable: 0, pendingRecords: 55 });
      await store.flush();
      const files = await durable();
      expect(recordsOf(files, fixedMeta)).toEqual(a);
      expect(recordsOf(files, gpioMeta)).toEqual([gap, gap, gap, gap, gap]);
      expect(store.stats()).toMatchObject({
        appended: 55,
        durable: 55,
        pendingRecords: 0,
        lastError: null,
      });
    });

    it('nothing is durable before a flush: a crash now would lose it (the promise is bounded by flush_interval)', async () => {
      const { store, durable } = await setup();
      store.append('k1', fixedMeta, analogReading(0));
      expect(recordsOf(await durable(), fixedMeta)).toEqual([]);
    });

    it('flushes on its own within flush_interval_ms of the injected clock', async () => {
      const { store, clock, durable } = await setup(250);
      store.append('k1', fixedMeta, analogReading(0));
      clock.advance(249);
      await new Promise((r) => setTimeout(r, 20)); // deliberate: a window in which no flush may happen
      expect(store.stats().durable).toBe(0);
      clock.advance(1);
      await until(() => store.stats().durable === 1, 'the timer flush');
      expect(recordsOf(await durable(), fixedMeta)).toEqual([analogReading(0)]);
      store.append('k1', fixedMeta, analogReading(1));
      await until(() => {
        clock.advance(50);
        return store.stats().durable === 2;
      }, 'the second timer flush');
    });

    it('rotateAll finishes every file; the next record starts a new file', async () => {
      const { store, durable } = await setup();
      store.append('k1', fixedMeta, analogReading(0));
      await store.rotateAll();
      let files = await durable();
      expect(files).toHaveLength(1);
      expect(files[0]!.finished).toBe(true);
      store.append('k1', fixedMeta, analogReading(1));
      await store.flush();
      files = await durable();
      expect(files.map((f) => f.finished)).toEqual([true, false]);
      expect(recordsOf(files, fixedMeta)).toEqual([analogReading(0), analogReading(1)]);
      expect(store.stats().filesFinished).toBe(1);
    });

    it('a different meta for the same key starts a new file carrying the new meta', async () => {
      const { store, durable } = await setup();
      const tagged = { ...fixedMeta, tags: ['line-3', 'new-tag'] };
      store.append('k1', fixedMeta, analogReading(0));
      store.append('k1', { ...fixedMeta }, analogReading(1)); // equal content: same file
      store.append('k1', tagged, analogReading(2));
      await store.flush();
      const files = await durable();
      expect(files.map((f) => f.meta.tags)).toEqual([['line-3'], ['line-3', 'new-tag']]);
      expect(files[0]!.records).toHaveLength(2);
    });

    it('close() finishes everything; append afterwards throws CAPTURE_CLOSED', async () => {
      const { store, durable } = await setup();
      store.append('k1', fixedMeta, analogReading(0));
      store.append('k2', gpioMeta, gap);
      await store.close();
      const files = await durable();
      expect(files.every((f) => f.finished)).toBe(true);
      expect(files).toHaveLength(2);
      let caught: unknown;
      try {
        store.append('k1', fixedMeta, analogReading(1));
      } catch (err) {
        caught = err;
      }
      expect(isWharfError(caught, 'CAPTURE_CLOSED')).toBe(true);
    });

    it('I/O failure: append still returns, flush rejects with CAPTURE_IO, stats show it, and the records are written once I/O heals', async () => {
      const { store, durable, breakIO, healIO } = await setup();
      await breakIO();
      store.append('kb', brokenMeta, analogReading(0));
      store.append('kb', brokenMeta, analogReading(1));
      let caught: unknown;
      await store.flush().catch((err: unknown) => (caught = err));
      expect(isWharfError(caught, 'CAPTURE_IO')).toBe(true);
      expect(store.stats()).toMatchObject({ durable: 0, pendingRecords: 2 });
      expect(store.stats().lastError).not.toBeNull();
      expect(store.stats().writeErrors).toBeGreaterThan(0);
      store.append('kb', brokenMeta, analogReading(2));
      await healIO();
      await store.flush();
      expect(store.stats()).toMatchObject({ durable: 3, pendingRecords: 0, lastError: null });
      expect(recordsOf(await durable(), brokenMeta)).toEqual([
        analogReading(0),
        analogReading(1),
        analogReading(2),
      ]);
    });

    it('concurrent flush() calls all resolve and each covers the records appended before it', async () => {
      const { store, durable } = await setup();
      const waits: Promise<void>[] = [];
      for (let i = 0; i < 20; i++) {
        store.append('k1', fixedMeta, analogReading(i));
        waits.push(
          store.flush().then(() => expect(store.stats().durable).toBeGreaterThanOrEqual(i + 1)),
        );
      }
      await Promise.all(waits);
      expect(recordsOf(await durable(), fixedMeta)).toHaveLength(20);
    });

    it('rejects something that is not a capture record (a programming error, not data)', async () => {
      const { store } = await setup();
      expect(() =>
        store.append('k1', fixedMeta, { kind: 'zero' } as unknown as CaptureRecord),
      ).toThrow(/not a capture record/);
      expect(store.stats().appended).toBe(0);
    });
  });
}
