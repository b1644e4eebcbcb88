/**
 * Sampling accuracy of the firmware in the emulator, over a real pty, in real time:
 *   node --import tsx hil/accuracy.ts [--hz 100] [--seconds 10] [--readers 2]
 * Prints samples, missed ticks, rate as received by the gateway end, board/host clock ratio and
 * how late the emulated ADC was read against the scheduled instant (p50/p95/max).
 */
import { parseArgs } from 'node:util';
import { ProtocolDriver } from './driver/driver.js';
import { SerialFrameLink, type Frame } from './driver/links.js';
import { ptyPair } from '../src/emulator/pty.js';
import { EmulatedBoard } from '../src/emulator/board.js';
import { bundleFor } from './emulator/bundle.js';
import { PtySerial } from '../src/emulator/serial-binding.js';
import { EMULATED_INPUTS } from './targets.js';

const { values } = parseArgs({
  options: { hz: { type: 'string' }, seconds: { type: 'string' }, readers: { type: 'string' } },
});
const hz = Number(values.hz ?? 100);
const seconds = Math.min(60, Number(values.seconds ?? 10));
const readers = ['A1', 'A2', 'A3'].slice(0, Math.max(1, Math.min(3, Number(values.readers ?? 2))));

const pty = await ptyPair();
const board = new EmulatedBoard({
  code: await bundleFor({ transport: 'serial', boardId: 'acc' }),
  serial: await PtySerial.open(pty.a),
  ...EMULATED_INPUTS,
}).start();
const driver = new ProtocolDriver(await SerialFrameLink.open(pty.b));
try {
  await driver.request({ t: 'hello', v: 1 });
  await driver.request({
    t: 'cfg',
    a: [
      ['A1', '34'],
      ['A2', '35'],
      ['A3', '32'],
    ],
    p: [],
  });
  const from = driver.frames.length;
  await driver.request({ t: 'plan', e: [{ k: 'x', m: 'A', r: readers, hz }], bms: 100 });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await driver.request({ t: 'plan', e: [] });
  const got = driver.frames
    .map((f, i) => ({ f, at: driver.arrivals[i] as number }))
    .slice(from)
    .filter((x) => x.f.k === 'x');
  const batches = got.filter((x) => x.f.t === 'b') as {
    f: Frame & { t0: number; dt: number; v: number[][] };
    at: number;
  }[];
  const gaps = got.filter((x) => x.f.t === 'gap').map((x) => x.f);
  const samples = batches.reduce((n, b) => n + b.f.v.length, 0);
  const missed = gaps.reduce((n, g) => n + (g.n as number), 0);
  const first = batches[0] as (typeof batches)[number];
  const last = batches[batches.length - 1] as (typeof batches)[number];
  const hostSpan = last.at - first.at;
  // host/board clock: least-squares slope of arrival time over each batch's last sample time
  const xs = batches.map((b) => b.f.t0 + (b.f.v.length - 1) * b.f.dt);
  const ys = batches.map((b) => b.at);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope =
    xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] as number) - my), 0) /
    xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const pin = readers.length > 2 ? 'D32' : readers.length > 1 ? 'D35' : 'D34';
  const late = board.analogReads
    .filter(
      (r) =>
        r.pin === pin && r.ms >= first.f.t0 - 1 && r.ms <= last.f.t0 + last.f.v.length * last.f.dt,
    )
    .map((r) => r.ms - first.f.t0 - Math.round((r.ms - first.f.t0) / first.f.dt) * first.f.dt)
    .sort((a, b) => a - b);
  const q = (p: number) =>
    (late[Math.min(late.length - 1, Math.floor(late.length * p))] ?? NaN).toFixed(2);
  const expected = Math.round((seconds * 1000) / (1000 / hz));
  process.stdout.write(
    `firmware in the emulator, ${readers.length} analog reader(s) at ${hz} Hz for ${seconds} s over a pty:\n` +
      `  samples ${samples} + missed ticks ${missed} (reported as gaps) of ~${expected} scheduled; missed ${((100 * missed) / (samples + missed)).toFixed(2)} %\n` +
      `  rate received by the gateway end ${(((samples - last.f.v.length) * 1000) / hostSpan).toFixed(2)} Hz; host/board clock slope ${slope.toFixed(5)}\n` +
      `  ADC read lateness vs schedule: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms\n` +
      `  batches ${batches.length}, uncaught firmware errors ${board.errors.length}\n`,
  );
} finally {
  await driver.close();
  await board.stop();
  await pty.close();
}
