/**
 * Child process for the real-clock scheduler test: runs a TickScheduler at HZ on real timers until
 * it has accounted for every deadline of the first MS ms (each one run, or reported missed), and
 * prints as JSON on stdout: {start, period, ran: [index, tick time, lateness][], missed: MissedTicks[],
 * stats}. Usage: node --import tsx test/capture/engine/realtime-probe.ts HZ MS
 */
import { realClock } from '../../../src/shared/clock.js';
import { TickScheduler, type MissedTicks } from '../../../src/capture/scheduler.js';

const hz = Number(process.argv[2] ?? 100);
const ms = Number(process.argv[3] ?? 5000);
const expected = Math.round((ms * hz) / 1000); // deadlines 0 .. expected-1 lie in [start, start+ms)
const ran: [number, number, number][] = [];
const missed: MissedTicks[] = [];
let start = 0;
let done: () => void = () => undefined;
const finished = new Promise<void>((r) => (done = r));
const s = new TickScheduler({
  clock: realClock,
  hz,
  onTick: (t, i) => {
    if (i < expected) ran.push([i, t, realClock.now() - t]);
    else done(); // every deadline of the window is behind us
  },
  onMissed: (m) => {
    missed.push(m);
    if (m.end >= s.deadline(expected - 1)) done();
  },
});
// Deliberate: let the process settle (module loading, JIT) before measuring.
await new Promise((r) => setTimeout(r, 300));
start = realClock.now();
s.start(start);
// bounded: a scheduler that never reaches the end of the window fails the test (exit 2)
const guard = setTimeout(() => process.exit(2), ms + 30_000);
await finished;
s.stop();
clearTimeout(guard);
process.stdout.write(
  JSON.stringify({ start, period: 1000 / hz, expected, ran, missed, stats: s.stats() }),
);
