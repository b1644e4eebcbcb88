/**
 * Waiting for a condition, not for time: polls `cond` (sync or async) every 20 ms and fails after
 * `timeoutMs` naming what it waited for. Generous timeouts cost nothing when the machine is fast
 * and keep a loaded machine (npm run test:loaded) from failing a test that is only slow.
 */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
