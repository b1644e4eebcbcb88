/**
 * Start one emulated ESP32 running the built firmware: on a pty/serial device path, or against an
 * MQTT broker. Used by the emulator CLI and by anything (the demo, the acceptance test) that needs
 * boards running the real bundle.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../src/shared/logger.js';
import type { FirmwareSettings } from '../../firmware/tools/build.js';
import { EmulatedBoard } from './board.js';
import { bundleFor } from './bundle.js';
import { PtySerial } from './serial-binding.js';
import { constant, ramp, sine, square, type Signal } from './signals.js';

/** Default inputs: the HIL fixture plus moving signals so charts have something to show. */
export function demoInputs(): { analog: Record<string, Signal>; gpio: Record<string, Signal> } {
  return {
    analog: {
      D34: constant(1.65),
      D35: constant(0),
      D32: ramp({ from: 0, to: 3.3, periodMs: 1000 }),
      D33: sine({ offset: 1.65, amplitude: 1.2, periodMs: 5000 }),
      D36: sine({ offset: 1.0, amplitude: 0.5, periodMs: 60_000 }),
      D39: sine({ offset: 2.0, amplitude: 0.8, periodMs: 2000, phaseMs: 500 }),
    },
    gpio: {
      D27: constant(1),
      D26: constant(0),
      D25: square({ periodMs: 2000 }),
      D14: square({ periodMs: 500, duty: 0.2 }),
    },
  };
}

export interface StartOptions {
  boardId: string;
  /** serial: the board end of a pty pair (or any serial device path) */
  serialPath?: string;
  baud?: number;
  /** mqtt: broker URL mqtt://host:port the board connects to */
  mqttUrl?: string;
  secret?: string;
  /** run this bundle file instead of building one */
  bundleFile?: string;
  inputs?: { analog: Record<string, Signal>; gpio: Record<string, Signal> };
  logger?: Logger;
}

export async function startEmulatedBoard(o: StartOptions): Promise<EmulatedBoard> {
  if (!o.serialPath === !o.mqttUrl)
    throw new Error('give exactly one of a serial path (--serial) or a broker URL (--mqtt)');
  let settings: FirmwareSettings;
  if (o.mqttUrl) {
    const u = new URL(o.mqttUrl);
    settings = {
      transport: 'mqtt',
      boardId: o.boardId,
      mqttHost: u.hostname,
      mqttPort: Number(u.port || 1883),
      ...(o.secret ? { secret: o.secret } : {}),
    };
  } else
    settings = { transport: 'serial', boardId: o.boardId, ...(o.baud ? { baud: o.baud } : {}) };
  const code = o.bundleFile ? await readFile(o.bundleFile, 'utf8') : await bundleFor(settings);
  const serial = o.serialPath ? await PtySerial.open(o.serialPath, o.baud ?? 115200) : undefined;
  const board = new EmulatedBoard({
    code,
    serial,
    ...(o.inputs ?? demoInputs()),
    ...(o.logger ? { logger: o.logger } : {}),
  });
  return board.start();
}
