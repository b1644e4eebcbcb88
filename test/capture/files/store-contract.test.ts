import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FileCaptureStore } from '../../../src/capture/file-store.js';
import { MemoryCaptureStore } from '../../../src/capture/memory-store.js';
import { decodeCaptureFile } from '../../../src/capture/file-format.js';
import { walkCaptureDir, oldestFirst } from '../../../src/capture/files.js';
import { FakeClock } from '../../../src/shared/clock.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { captureStoreContract } from './store-contract.js';
import { useTempDirs } from './tmp.js';

const tempDir = useTempDirs();

captureStoreContract('MemoryCaptureStore', async ({ flushIntervalMs }) => {
  const clock = new FakeClock();
  const store = new MemoryCaptureStore({ clock, flushIntervalMs });
  return {
    store,
    clock,
    durable: async () =>
      store
        .files()
        .filter((f) => f.durableCount > 0)
        .map((f) => ({
          meta: f.header.meta,
          records: f.records.slice(0, f.durableCount),
          finished: f.finished,
        })),
    breakIO: async () =>
      store.failFlushes(new Error('ENOSPC: no space left on device (simulated)')),
    healIO: async () => store.failFlushes(null),
    dispose: async () => undefined,
  };
});

captureStoreContract('FileCaptureStore', async ({ flushIntervalMs }) => {
  const dir = await tempDir();
  const clock = new FakeClock();
  const store = new FileCaptureStore({
    dir,
    clock,
    logger: nullLogger,
    settings: {
      flush_interval_ms: flushIntervalMs,
      maximum_capture_file_size_bytes: 256 * 1024,
      maximum_capture_file_age_ms: 60_000,
    },
  });
  const blocker = path.join(dir, 'broken');
  return {
    store,
    clock,
    durable: async () => {
      const files = oldestFirst(await walkCaptureDir(dir, ['.capture', '.prog']));
      const out = [];
      for (const f of files) {
        const d = decodeCaptureFile(await readFile(f.path));
        out.push({
          meta: d.header.meta,
          records: d.records,
          finished: f.path.endsWith('.capture'),
        });
      }
      return out;
    },
    // A regular file where the component directory must go: mkdir fails with ENOTDIR/EEXIST.
    breakIO: async () => writeFile(blocker, 'not a directory'),
    healIO: async () => rm(blocker),
    dispose: async () => {
      await store.close().catch(() => undefined);
    },
  };
});
