/**
 * A gateway restart with a CHANGED config while the boards hold a backlog of the old plan (issue 17,
 * hostile re-check), end to end: `wharf run` as a real child process with its embedded broker, one
 * emulated ESP32 over MQTT and one over a pty serial line, each running the compiled bundle and
 * streaming A1 at 20 Hz and pin 27 at 10 Hz. The gateway is SIGKILLed; while it is down its config
 * changes pin 27 to 5 Hz (A1 stays as it was); then it starts again on the same capture directory.
 *
 * A1, unchanged: every sample the board sent is captured exactly once (its backlog is delivered
 * under the old plan's key), and the only gaps are missed_ticks. Pin 27, changed: the backlog of the
 * old rate is not taken; its hole is a capture_stopped gap, and every gap runs forward in time.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViamRow } from '../src/shared/record.js';
import { capturedRows } from '../test/helpers/captured.js';
import { requireTool } from '../test/helpers/system-tool.js';
import type { GatewayProcess } from './bench/gateway-process.js';
import type { PtyPair } from '../src/emulator/pty.js';
import { UplinkTally } from './bench/uplink-tally.js';
import { EmulatedBoard } from '../src/emulator/board.js';
import { rigGatewayConfig, startRigBoard, startRigGateway, stopRig } from './rig.js';
import { until } from '../test/boards/helpers/wait.js';
import { account, framesAndGaps, holesCovered, overlaps } from './reconnect-check.js';

const hasSocat = requireTool('socat', 'the restart test wires an emulated ESP32 over a pty pair');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const A_HZ = 20;
const KILL_MS = 5000;

interface Rig {
  id: string;
  transport: 'mqtt' | 'serial';
  board?: EmulatedBoard;
  /** what the board sent of A1 (analog values) and of pin 27 (0/1), frame by frame */
  a?: UplinkTally;
  g?: UplinkTally;
  pty?: PtyPair;
}

const RIGS: Rig[] = [
  { id: 'cc-mq', transport: 'mqtt' },
  { id: 'cc-ser', transport: 'serial' },
];

/** Splits a board's uplink into A1 frames and pin-27 frames (by value: raw ADC vs 0/1). */
function splitter(rig: Rig, mqtt: boolean): (text: string) => void {
  let buf = '';
  const frame = (line: string) => {
    let f: { t?: string; v?: number[][] };
    try {
      f = JSON.parse(line) as typeof f;
    } catch {
      return;
    }
    if (f.t !== 'b' || !Array.isArray(f.v)) return;
    (f.v[0]![0]! > 1 ? rig.a! : rig.g!).feed(line, true);
  };
  return (text) => {
    if (mqtt) return frame(text);
    buf += text;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      frame(buf.slice(0, i).replace(/\r$/, ''));
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
    if (buf.length > 4096) buf = '';
  };
}

/** Analogs A1 at A_HZ and Gpio pin 27 at `gHz` from every board. */
const config = (dir: string, brokerPort: number, httpPort: number, secret: string, gHz: number) =>
  rigGatewayConfig({
    dir,
    brokerPort,
    httpPort,
    secret,
    rigs: RIGS,
    attributes: { analogs: [{ name: 'A1', pin: '34' }], pins: [27] },
    methods: [
      { method: 'Analogs', hz: A_HZ, params: { A1: '' } },
      { method: 'Gpio', hz: gHz, params: { pin_name: '27' } },
    ],
  });

describe.skipIf(!hasSocat)('gateway restart with a changed config', () => {
  let dir: string;
  let gw: GatewayProcess | undefined;
  let rows: ViamRow[] = [];
  let window = { from: 0, to: 0, killedAt: 0, restartedAt: 0 };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-cfgchange-'));
    const g = await startRigGateway(dir, RIGS, (c, b, h, sec) => config(c, b, h, sec, 10));
    gw = g.gw;
    const { capture, brokerPort, httpPort, secret } = g;
    for (const rig of RIGS) {
      rig.board = await startRigBoard(rig, g, (board) => {
        rig.a = new UplinkTally((ms) => board().boardToWall(ms));
        rig.g = new UplinkTally((ms) => board().boardToWall(ms));
        return splitter(rig, rig.transport === 'mqtt');
      });
    }
    const t0 = Date.now();
    await until(
      () => RIGS.every((x) => x.a!.liveSince(t0 + 1500, 400) && x.g!.liveSince(t0 + 1500, 400)),
      40_000,
      'every board streaming both entries',
    );
    await sleep(1000); // deliberate: a second of ordinary capture before the kill
    const killedAt = Date.now();
    await gw.kill('SIGKILL');
    await g.rewrite(config(capture, brokerPort, httpPort, secret, 5));
    await sleep(KILL_MS); // deliberate: the outage
    gw = g.restart();
    const restartedAt = Date.now();
    await until(
      () => RIGS.every((x) => x.a!.liveSince(restartedAt + 500, 400)),
      40_000,
      'every board drained its backlog into the restarted gateway',
    );
    await sleep(1500); // deliberate: live capture after the drain
    window = { from: killedAt - 1000, to: Date.now() - 500, killedAt, restartedAt };
    await gw.kill('SIGTERM');
    rows = await capturedRows(capture);
  }, 120_000);

  afterAll(async () => {
    await stopRig(gw, RIGS, dir);
  });

  const of = (rig: Rig, method: string) => framesAndGaps(rows, `${rig.id}-board`, method);

  for (const rig of RIGS) {
    it(`${rig.id} (${rig.transport}): the unchanged A1 entry's backlog is captured exactly once; the changed entry's hole is capture_stopped`, () => {
      const { frames, gaps } = of(rig, 'Analogs');
      const a = account(window, frames, gaps, rig.a!.samples(), 1000 / A_HZ);
      const text = `${a.examples.join('; ')} gaps: ${JSON.stringify(gaps.filter((g) => g.end >= window.from))}`;
      process.stdout.write(
        `[cfg-change] ${rig.id} A1: board sent ${a.sent}, captured ${a.captured} (invented ${a.invented}, duplicates ${a.duplicates}, lost ${a.lost}); gaps ${JSON.stringify(a.gaps)}\n`,
      );
      expect(a.sent).toBeGreaterThan((KILL_MS / 1000) * A_HZ);
      expect(a.invented, text).toBe(0);
      expect(a.duplicates, text).toBe(0);
      expect(a.lost, text).toBe(0);
      for (const reason of Object.keys(a.gaps)) expect(['missed_ticks'], text).toContain(reason);
      const readings = frames.map((x) => x.t);
      expect(overlaps(readings, gaps)).toEqual([]);
      const inWindow = readings.filter((t) => t >= window.from && t <= window.to);
      expect(holesCovered(inWindow, gaps, 1000 / A_HZ)).toEqual([]);

      // pin 27 changed rate: no reading in the outage that the board did not send, the hole covered
      const g = of(rig, 'Gpio');
      const gT = g.frames.map((x) => x.t).filter((t) => t >= window.from && t <= window.to);
      expect(overlaps(gT, g.gaps)).toEqual([]);
      const stopped = g.gaps.filter(
        (x) => x.reason === 'capture_stopped' && x.end >= window.killedAt,
      );
      expect(stopped.length, JSON.stringify(g.gaps)).toBeGreaterThan(0);
      for (const x of [...gaps, ...g.gaps]) expect(x.end).toBeGreaterThanOrEqual(x.start);
    });
  }
});
