/**
 * Closing the capture store at a clean stop, bounded in time. On a full disk (ENOSPC) finishing
 * the files fails; it is retried (the disk budget may free space meanwhile) until `withinMs`, then
 * the stop goes on: what is still in memory is not written, and the error says how much. The
 * restart checkpoint was only advanced by flushes that succeeded, so the next start records the
 * span as a `capture_stopped` gap: the loss is accounted, never silent.
 */
import type { Clock } from '../shared/clock.js';
import { errorMessage, WharfError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import type { CaptureStore } from './capture-store.js';

export async function closeStoreWithin(
  store: CaptureStore,
  o: { clock: Clock; logger: Logger; withinMs: number; beforeRetry?: () => Promise<void> },
): Promise<void> {
  const end = o.clock.now() + o.withinMs;
  let last: unknown;
  for (let attempt = 0; attempt < 1000; attempt++) {
    try {
      await store.close();
      if (attempt > 0) o.logger.info({ attempts: attempt + 1 }, 'capture files finished at stop');
      return;
    } catch (err) {
      last = err;
    }
    if (o.clock.now() >= end) break;
    if (attempt === 0)
      o.logger.warn(
        { err: errorMessage(last), retry_ms: o.withinMs },
        'stopping: capture files cannot be finished (disk full?); retrying',
      );
    await o.beforeRetry?.().catch(() => undefined);
    await new Promise<void>((r) => {
      o.clock.setTimer(r, Math.min(250, Math.max(0, end - o.clock.now())));
    });
  }
  const s = store.stats();
  throw new WharfError(
    'CAPTURE_IO',
    `stopped with ${s.pendingRecords} record(s) not written after ${o.withinMs} ms of retries: ${errorMessage(last)}. The next start records the span from the last durable record as a capture_stopped gap; free space in the capture dir`,
    { cause: last },
  );
}
