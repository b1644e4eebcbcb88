/**
 * A board that REBOOTS while the gateway is down (issue 17, hostile re-check), end to end: `wharf
 * run` as a real child process with its embedded broker, one emulated ESP32 over MQTT and one over a
 * pty serial line, compiled bundles, A1 at 20 Hz. The gateway is SIGKILLed; 2 s later both boards
 * power-cycle (new boot id, clock back to 0, backlog and plan gone); 4 s later the gateway starts
 * again on the same capture directory. The boards' old plan keys must not be confused with anything:
 * nothing is invented or doubled, and the hole (what the boards sampled and lost in the reboot, and
 * the time they were starting) is covered by gap records with a true reason and forward spans.
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

const hasSocat = requireTool('socat', 'the reboot test wires an emulated ESP32 over a pty pair');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HZ = 20;
const PERIOD = 1000 / HZ;

const RIGS: TalliedRig[] = [
  { id: 'rb-mq', transport: 'mqtt' },
  { id: 'rb-ser', transport: 'serial' },
];

const config = (dir: string, brokerPort: number, httpPort: number, secret: string) =>
  rigGatewayConfig({ dir, brokerPort, httpPort, secret, rigs: RIGS, hz: HZ });

describe.skipIf(!hasSocat)('boards that reboot while the gateway is down', () => {
  let dir: string;
  let gw: GatewayProcess | undefined;
  let rows: ViamRow[] = [];
  let window = { from: 0, to: 0 };
  let killedAt = 0;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-reboot-'));
    const g = await startRigGateway(dir, RIGS, config);
    gw = g.gw;
    const { capture } = g;
    await startTalliedBoards(RIGS, g);
    const t0 = Date.now();
    await untilStreaming(RIGS, t0 + 1500, 'every board streaming');
    await sleep(1000); // deliberate: a second of ordinary capture before the kill
    const from = Date.now() - 1000;
    killedAt = Date.now();
    await gw.kill('SIGKILL');
    await sleep(2000); // deliberate: the boards keep sampling into their backlog
    for (const rig of RIGS) rig.board!.reboot();
    await sleep(4000); // deliberate: the rest of the outage
    gw = g.restart();
    const restartedAt = Date.now();
    await untilStreaming(
      RIGS,
      restartedAt + 500,
      'every board streaming into the restarted gateway',
    );
    await sleep(1500); // deliberate: live capture after the drain
    window = { from, to: Date.now() - 500 };
    await gw.kill('SIGTERM');
    rows = await capturedRows(capture);
  }, 150_000);

  afterAll(async () => {
    await stopRig(gw, RIGS, dir);
  });

  for (const rig of RIGS) {
    it(`${rig.id} (${rig.transport}): nothing invented or doubled, every hole a forward gap with a true reason`, () => {
      const { frames, gaps } = framesAndGaps(rows, `${rig.id}-board`);
      const a = account(window, frames, gaps, rig.tally!.samples(), PERIOD);
      const inGaps = gaps.filter((g) => g.end >= window.from && g.start <= window.to);
      const text = `${a.examples.join('; ')} killed at ${killedAt} gaps: ${JSON.stringify(inGaps)}`;
      process.stdout.write(
        `[reboot] ${rig.id}: board sent ${a.sent}, captured ${a.captured} (invented ${a.invented}, duplicates ${a.duplicates}, not captured ${a.lost}); gaps ${JSON.stringify(a.gaps)}\n`,
      );
      expect(a.invented, text).toBe(0);
      expect(a.duplicates, text).toBe(0);
      // what was not captured is what the board lost in its reboot (or wrote into a dead cable
      // before it): inside the outage, under a gap
      const samples = rig.tally!.samples().filter((s) => s.at >= window.from && s.at <= window.to);
      const readings = frames.map((x) => x.t);
      for (const s of samples) {
        if (readings.some((t) => Math.abs(t - s.at) < PERIOD / 2)) continue;
        expect(s.at, text).toBeGreaterThan(killedAt - 1500);
        expect(
          inGaps.some((g) => s.at >= g.start - PERIOD && s.at <= g.end + PERIOD),
          `sample ${s.at} not captured and in no gap; ${text}`,
        ).toBe(true);
      }
      for (const reason of Object.keys(a.gaps))
        expect(
          ['missed_ticks', 'capture_stopped', 'board_reboot', 'board_starting'],
          text,
        ).toContain(reason);
      expect(a.gaps.capture_stopped ?? 0, text).toBeGreaterThan(0);
      expect(overlaps(readings, gaps)).toEqual([]);
      const inWindow = readings.filter((t) => t >= window.from && t <= window.to);
      expect(holesCovered(inWindow, gaps, PERIOD)).toEqual([]);
      for (const g of gaps) expect(g.end).toBeGreaterThanOrEqual(g.start);
    });
  }
});
