/**
 * The embedded broker's in-process route for board frames, paired in one process (not a test):
 * N boards (a separate load process, `--self`, S samples per message, raw QoS 0 publishes) publish
 * into the embedded broker, every frame is counted at its board's link handler; in alternating
 * phases a monitor client is connected (idle, subscribed to nothing) or not. With a monitor the
 * broker takes aedes's full publish path (packet copy, topic match, fan-out), without it the frame
 * goes from aedes's publish straight to the link. Prints the broker process's CPU µs per frame for
 * each, per phase pair, and their medians.
 *
 *   node --import tsx bench/broker-route.ts [--boards 50] [--hz 100] [--readers 10] [--spm 1]
 *                                           [--phase-s 3] [--pairs 8]
 */
import mqtt from 'mqtt';
import { loadavg } from 'node:os';
import { startEmbeddedBroker } from '../src/boards/mqtt/broker.js';
import { nullLogger } from '../src/shared/logger.js';
import { PREFIX, SECRET, startLoad } from './boards/mqtt-fleet.js';
import { median } from './gateway-proc.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string): number => {
  const i = argv.indexOf(`--${name}`);
  return Number(i < 0 ? dflt : argv[i + 1]);
};
const N = arg('boards', '50');
const HZ = arg('hz', '100');
const R = arg('readers', '10');
const SPM = arg('spm', '1');
const PHASE_MS = arg('phase-s', '3') * 1000;
const PAIRS = arg('pairs', '8');

async function main(): Promise<void> {
  const boards = Array.from({ length: N }, (_, i) => ({ id: `${PREFIX}${i}`, secret: SECRET }));
  const broker = await startEmbeddedBroker({
    host: '127.0.0.1',
    port: 0,
    boards,
    logger: nullLogger,
    monitor: { username: 'ops', password: 'ops-pass' },
  });
  let frames = 0;
  for (const b of boards)
    broker.bus.attach(b.id, { frame: () => void frames++, offline: () => undefined });
  const load = await startLoad({
    url: broker.url,
    boards: N,
    samplesPerMessage: SPM,
    self: { readers: R, hz: HZ },
    raw: true,
  });
  await new Promise((r) => setTimeout(r, 2000));
  const phase = async (monitor: boolean): Promise<number> => {
    const mon = monitor
      ? await mqtt.connectAsync(broker.url, {
          clientId: 'ops-bench',
          username: 'ops',
          password: 'ops-pass',
          reconnectPeriod: 0,
        })
      : undefined;
    await new Promise((r) => setTimeout(r, 300));
    const f0 = frames;
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, PHASE_MS));
    const c = process.cpuUsage(c0);
    const n = frames - f0;
    await mon?.endAsync();
    return (c.user + c.system) / n;
  };
  const direct: number[] = [];
  const full: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const order = i % 2 === 0 ? [false, true] : [true, false];
    for (const m of order) (m ? full : direct).push(await phase(m));
    process.stderr.write(
      `pair ${i + 1}: in-process ${direct[i]!.toFixed(1)} µs/frame, full aedes path ${full[i]!.toFixed(1)} µs/frame, load ${loadavg()[0]!.toFixed(2)}\n`,
    );
  }
  await load.stop();
  await broker.close();
  const better = direct.filter((d, i) => d < full[i]!).length;
  process.stdout.write(
    `broker route: ${N} boards × ${R} readers × ${HZ} Hz, ${SPM} sample(s) per message, ${PAIRS} pairs of ${PHASE_MS / 1000} s phases\n` +
      `in-process route: median ${median(direct).toFixed(1)} µs/frame (${Math.min(...direct).toFixed(1)}–${Math.max(...direct).toFixed(1)})\n` +
      `full aedes path:  median ${median(full).toFixed(1)} µs/frame (${Math.min(...full).toFixed(1)}–${Math.max(...full).toFixed(1)})\n` +
      `in-process cheaper in ${better} of ${PAIRS} pairs\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
