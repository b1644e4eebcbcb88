/**
 * Retry delays after failed sync attempts: exponential from ~200 ms, capped, with jitter (each
 * delay is drawn from [d/2, d]), so a fleet coming back online does not hammer the cloud in step.
 * After `offlineAfter` consecutive failures the target counts as offline and the worker polls at
 * `offlinePollMs` (still jittered).
 */
export interface BackoffOptions {
  initialMs: number; // 200
  maxMs: number; // 10_000
  offlineAfter: number; // 5
  offlinePollMs: number; // 30_000
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 200,
  maxMs: 10_000,
  offlineAfter: 5,
  offlinePollMs: 30_000,
};

export function backoffDelay(failures: number, o: BackoffOptions, random: () => number): number {
  if (failures <= 0) return 0;
  const base =
    failures > o.offlineAfter
      ? o.offlinePollMs
      : Math.min(o.maxMs, o.initialMs * 2 ** (failures - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

export function isOffline(failures: number, o: BackoffOptions): boolean {
  return failures > o.offlineAfter;
}
