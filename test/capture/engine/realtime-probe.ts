/**
 * Child process for the real-clock scheduler test: runs a TickScheduler at HZ for MS on real timers
 * and prints {ticks, missed, lateness[], first, last, start} as JSON on stdout.
 * Usage: node --import tsx test/capture/engine/realtime-probe.ts HZ MS
 */
import { realClock } from '../../../src/shared/clock.js';
import { TickScheduler } from '../../../src/capture/scheduler.js';

const hz = Number(process.argv[2] ?? 100);
const ms = Number(process.argv[3] ?? 5000);
const ticks: number[] = [];
const lateness: number[] = [];
let missed = 0;
const s = new TickScheduler({
  clock: realClock,
  hz,
  onTick: (t) => {
    ticks.push(t);
    lateness.push(realClock.now() - t);
  },
  onMissed: (m) => (missed += m.count),
});
// Let the process settle (module loading, JIT) before measuring.
await new Promise((r) => setTimeout(r, 300));
const start = realClock.now();
s.start(start);
await new Promise((r) => setTimeout(r, ms - 2));
s.stop();
process.stdout.write(
  JSON.stringify({
    start,
    ticks: ticks.length,
    missed,
    first: ticks[0],
    last: ticks[ticks.length - 1],
    lateness,
  }),
);
