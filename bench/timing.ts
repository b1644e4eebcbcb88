/**
 * Timing benchmark (not a test): streamed sampling at 1, 10, 100 and 500 Hz over real pty pairs,
 * all four boards at once, through the serial transport (clock mapping included). Per rate:
 * achieved rate of `time_requested` against the configured rate, p99 jitter of consecutive
 * `time_requested` intervals, p99 arrival latency (time_received − time_requested), and the
 * mapping error against the peer's ground truth. The peer's clock runs 50 ppm fast, as a crystal may.
 *
 *   node --import tsx bench/timing.ts [seconds=30]
 */
import { ProtocolBoard } from '../src/boards/protocol/protocol-board.js';
import { SerialConnector } from '../src/boards/serial/serial-link.js';
import { realClock } from '../src/shared/clock.js';
import type { StreamBatch } from '../src/boards/board.js';
import { PtyPair } from '../test/boards/helpers/pty.js';
import { attachSerialPeer } from '../test/boards/helpers/serial-peer.js';
import { TestPeer } from '../test/boards/helpers/test-peer.js';

const seconds = Number(process.argv[2] ?? 30);
const RATES = [1, 10, 100, 500];
const DRIFT_PPM = 50;

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<void> {
  const runs = await Promise.all(
    RATES.map(async (hz) => {
      const pty = new PtyPair();
      await pty.start();
      const peer = new TestPeer({ bid: `t${hz}`, driftPpm: DRIFT_PPM, clkStart: 1_000_000 });
      const side = await attachSerialPeer(pty.b, peer);
      const board = new ProtocolBoard(
        `t${hz}`,
        { analogs: [{ name: 'A1', pin: '34' }], pins: [] },
        new SerialConnector({ path: pty.a, baud: 115200 }),
        realClock,
      );
      const batches: StreamBatch[] = [];
      board.on('batch', (b) => batches.push(b));
      await board.connect();
      return { hz, pty, peer, side, board, batches };
    }),
  );
  // Let the clock mapping settle (drift needs a few seconds of pings) before the measured window.
  for (const r of runs)
    await r.board.configure([
      { key: 'k', method: 'Analogs', readers: ['A1'], hz: r.hz, mode: 'streamed' },
    ]);
  process.stderr.write(`timing: ${RATES.join('/')} Hz streamed over ptys for ${seconds} s …\n`);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const rows: string[] = [];
  rows.push(
    '| Hz | samples | achieved Hz | rate error | p99 jitter (ms) | p99 arrival latency (ms) | max mapping error (ms) |',
  );
  rows.push('|---|---|---|---|---|---|---|');
  for (const r of runs) {
    const k = (r.peer.received.find((f) => f.t === 'plan')!.e as { k: string }[])[0]!.k;
    const samples = r.batches.flatMap((b) =>
      b.samples.map((s, i) => ({
        s,
        truth: r.peer.trueGatewayTime(
          r.peer.sentBatches.get(`${k}#${b.seq}`)!.t0 +
            i * r.peer.sentBatches.get(`${k}#${b.seq}`)!.dt,
        ),
      })),
    );
    const t = samples.map((x) => x.s.timeRequested);
    const period = 1000 / r.hz;
    const intervals = t.slice(1).map((x, i) => Math.abs(x - t[i]! - period));
    const achieved = t.length > 1 ? ((t.length - 1) * 1000) / (t[t.length - 1]! - t[0]!) : NaN;
    const latency = samples.map((x) => x.s.timeReceived - x.s.timeRequested);
    const mapErr = Math.max(...samples.map((x) => Math.abs(x.s.timeRequested - x.truth)));
    rows.push(
      `| ${r.hz} | ${t.length} | ${achieved.toFixed(4)} | ${(((achieved - r.hz) / r.hz) * 100).toFixed(4)}% | ${pct(intervals, 99).toFixed(3)} | ${pct(latency, 99).toFixed(1)} | ${mapErr.toFixed(3)} |`,
    );
    await r.board.close();
    await r.side.close();
    await r.pty.cleanup();
  }
  process.stdout.write(
    `timing bench, ${seconds} s, board clock +${DRIFT_PPM} ppm, serial over pty, batches every 100 ms\n${rows.join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
