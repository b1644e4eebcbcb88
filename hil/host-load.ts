/**
 * How often this host's event loop itself runs a timer a whole period late (what an emulated board,
 * running in the same process, reports as missed ticks), measured alongside. Tests bound the missed
 * ticks of an emulated board by what the host itself missed: on a busy machine (npm run
 * test:loaded) the emulator misses what the host misses; on real hardware there is no host load.
 */
export function lateProbe(periodMs: number): () => { ticks: number; lateFraction: number } {
  const start = performance.now();
  let i = 0;
  let late = 0;
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    i++;
    if (performance.now() - (start + i * periodMs) >= periodMs) late++;
    timer = setTimeout(tick, Math.max(0, start + (i + 1) * periodMs - performance.now()));
  };
  timer = setTimeout(tick, periodMs);
  return () => {
    clearTimeout(timer);
    return { ticks: i, lateFraction: i ? late / i : 0 };
  };
}
