/**
 * The gateway is SIGKILLed again while boards drain their backlog into it (issue 17, hostile
 * re-check), end to end: `wharf run` as a real child process with its embedded broker, one emulated
 * ESP32 over MQTT and one over a pty serial line, compiled bundles, A1 at 20 Hz. The gateway is killed
 * for 6 s; it is started again, and the moment the first board writes a frame of its backlog (a batch
 * whose samples are seconds old) it is SIGKILLed once more — mid-drain for that board, mid-handshake
 * or mid-drain for the other — and started again 3 s later on the same capture directory.
 *
 * For each board: every sample it sent is captured exactly once and the only gaps are missed_ticks;
 * every gap runs forward in time.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViamRow } from '../src/shared/record.js';
import { capturedRows } from '../test/helpers/captured.js';
import { requireTool } from '../test/helpers/system-tool.js';
import type { GatewayProcess } from './bench/gateway-process.js';
import {
  rigGatewayConfig,
  startRigGateway,
  startTalliedBoards,
  stopRig,
  untilStreaming,
  type TalliedRig,
} from './rig.js';
import { account, framesAndGaps, holesCovered, overlaps } from './reconnect-check.js';

const hasSocat = requireTool('socat', 'the restart test wires an emulated ESP32 over a pty pair');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HZ = 20;
const PERIOD = 1000 / HZ;

const RIGS: TalliedRig[] = [
  { id: 'md-mq', transport: 'mqtt' },
  { id: 'md-ser', transport: 'serial' },
];

const config = (dir: string, brokerPort: number, httpPort: number, secret: string) =>
  rigGatewayConfig({ dir, brokerPort, httpPort, secret, rigs: RIGS, hz: HZ });

describe.skipIf(!hasSocat)('a gateway killed while boards drain their backlog into it', () => {
  let dir: string;
  let gw: GatewayProcess | undefined;
  let rows: ViamRow[] = [];
  let window = { from: 0, to: 0 };
  /** set while the restarted gateway waits for the first backlog frame: kills it */
  let killOnDrain: (() => void) | undefined;
  let drainKill: { at: number; by: string } | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-middrain-'));
    const g = await startRigGateway(dir, RIGS, config);
    gw = g.gw;
    const { capture } = g;
    await startTalliedBoards(RIGS, g, (rig, board, text) => {
      if (killOnDrain === undefined) return;
      const m = /"t":"b".*"t0":([0-9.]+)/.exec(text);
      if (m !== null && board().boardToWall(Number(m[1])) < Date.now() - 3000) {
        const k = killOnDrain;
        killOnDrain = undefined;
        drainKill = { at: Date.now(), by: rig.id };
        k();
      }
    });
    const t0 = Date.now();
    await untilStreaming(RIGS, t0 + 1500, 'every board streaming');
    await sleep(1000); // deliberate: a second of ordinary capture before the kill
    const from = Date.now() - 1000;
    await gw.kill('SIGKILL');
    await sleep(6000); // deliberate: the first outage
    const second = g.restart();
    gw = second;
    const killed = new Promise<void>((resolve) => {
      killOnDrain = () => void second.kill('SIGKILL').then(resolve);
    });
    await Promise.race([
      killed,
      sleep(30_000).then(() => {
        throw new Error('no board started draining its backlog within 30 s');
      }),
    ]);
    await sleep(3000); // deliberate: the second outage
    gw = g.restart();
    const restartedAt = Date.now();
    await untilStreaming(
      RIGS,
      restartedAt + 500,
      'every board drained its backlog into the third gateway process',
    );
    await sleep(1500); // deliberate: live capture after the drain
    window = { from, to: Date.now() - 500 };
    await gw.kill('SIGTERM');
    rows = await capturedRows(capture);
  }, 150_000);

  afterAll(async () => {
    killOnDrain = undefined;
    await stopRig(gw, RIGS, dir);
  });

  for (const rig of RIGS) {
    it(`${rig.id} (${rig.transport}): every sample it sent captured exactly once, only missed_ticks as gaps`, () => {
      const { frames, gaps } = framesAndGaps(rows, `${rig.id}-board`);
      const a = account(window, frames, gaps, rig.tally!.samples(), PERIOD);
      const text = `${a.examples.join('; ')} kill during drain ${JSON.stringify(drainKill)} gaps: ${JSON.stringify(gaps.filter((g) => g.end >= window.from))}`;
      process.stdout.write(
        `[mid-drain] ${rig.id}: board sent ${a.sent}, captured ${a.captured} (invented ${a.invented}, duplicates ${a.duplicates}, lost ${a.lost}); gaps ${JSON.stringify(a.gaps)}; drain kill ${JSON.stringify(drainKill)}\n`,
      );
      expect(a.sent).toBeGreaterThan(9 * HZ);
      expect(a.invented, text).toBe(0);
      expect(a.duplicates, text).toBe(0);
      expect(a.lost, text).toBe(0);
      for (const reason of Object.keys(a.gaps)) expect(['missed_ticks'], text).toContain(reason);
      const readings = frames.map((x) => x.t);
      expect(overlaps(readings, gaps)).toEqual([]);
      const inWindow = readings.filter((t) => t >= window.from && t <= window.to);
      expect(holesCovered(inWindow, gaps, PERIOD)).toEqual([]);
      for (const g of gaps) expect(g.end).toBeGreaterThanOrEqual(g.start);
    });
  }
});
