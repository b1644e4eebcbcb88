/** Real-time waiting for board tests: a sleep, and a bounded poll that fails saying what it waited for. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms; throws after `timeoutMs` naming `what` it was waiting for. */
export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Waits until `count()` has not changed for `quietMs` (a stream that stopped, batches in flight
 * landed); throws after `timeoutMs` naming `what`.
 */
export async function quiet(
  count: () => number,
  quietMs: number,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = count();
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
    const n = count();
    if (n !== last) {
      last = n;
      since = Date.now();
    }
  }
}
