/**
 * Start one emulated ESP32 running the built firmware: on a pty/serial device path, or against an
 * MQTT broker. Used by the emulator CLI and by anything (the demo, the acceptance test) that needs
 * boards running the real bundle.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../src/shared/logger.js';
import type { FirmwareSettings } from '../../firmware/tools/build.js';
import { EmulatedBoard } from '../../src/emulator/board.js';
import { bundleFor } from './bundle.js';
import { PtySerial } from '../../src/emulator/serial-binding.js';
import { constant, demoInputs, type Signal } from '../../src/emulator/signals.js';

export { demoInputs };

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
  /** The chip temperature E.getTemperature reports (°C); absent: the interpreter has none. */
  temperatureC?: number;
  /** Steady pulse trains for pulse_counter sensors: pin ("D14") at `hz` pulses per second. */
  pulses?: { pin: string; hz: number }[];
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
    ...(o.temperatureC === undefined ? {} : { temperatureC: constant(o.temperatureC) }),
  });
  board.start();
  for (const p of o.pulses ?? []) {
    const half = 500 / p.hz;
    void board.pulses(p.pin, Number.MAX_SAFE_INTEGER, { highMs: half, lowMs: half });
  }
  return board;
}
