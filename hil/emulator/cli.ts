/**
 * Run an emulated ESP32 with the real firmware bundle until interrupted:
 *   node --import tsx hil/emulator/cli.ts --serial /dev/pts/N --board-id esp-1
 *   node --import tsx hil/emulator/cli.ts --mqtt mqtt://127.0.0.1:1883 --board-id esp-2 [--secret S]
 * Options: --baud N, --bundle FILE (run a built bundle instead of building one), --temp-c C (the
 * interpreter has E.getTemperature, reporting C), --pulse PIN:HZ (a steady pulse train on a GPIO
 * input for a pulse_counter sensor, repeatable: --pulse D14:5 --pulse D13:40).
 * The secret may come from WHARF_BOARD_SECRET; it is never printed.
 */
import { parseArgs } from 'node:util';
import { startEmulatedBoard } from './start.js';

const USAGE =
  'usage: node --import tsx hil/emulator/cli.ts (--serial PATH | --mqtt URL) --board-id ID [--secret S] [--baud N] [--bundle FILE] [--temp-c C] [--pulse PIN:HZ]…\n';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        serial: { type: 'string' },
        mqtt: { type: 'string' },
        'board-id': { type: 'string' },
        secret: { type: 'string' },
        baud: { type: 'string' },
        bundle: { type: 'string' },
        'temp-c': { type: 'string' },
        pulse: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const boardId = values['board-id'];
  if (!boardId || !values.serial === !values.mqtt) {
    process.stderr.write(USAGE);
    return 2;
  }
  const pulses: { pin: string; hz: number }[] = [];
  for (const p of values.pulse ?? []) {
    const m = /^(D\d+):(\d+(?:\.\d+)?)$/.exec(p);
    if (!m || !(Number(m[2]) > 0)) {
      process.stderr.write(`--pulse ${p}: expected PIN:HZ, e.g. D14:5\n${USAGE}`);
      return 2;
    }
    pulses.push({ pin: m[1]!, hz: Number(m[2]) });
  }
  const board = await startEmulatedBoard({
    pulses,
    ...(values['temp-c'] === undefined ? {} : { temperatureC: Number(values['temp-c']) }),
    boardId,
    serialPath: values.serial,
    mqttUrl: values.mqtt,
    secret: values.secret ?? process.env.WHARF_BOARD_SECRET,
    baud: values.baud ? Number(values.baud) : undefined,
    bundleFile: values.bundle,
  });
  process.stdout.write(
    `emulated ESP32 '${boardId}' running the wharf agent on ${values.serial ?? values.mqtt}; Ctrl-C to stop\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await board.stop();
  if (board.errors.length)
    process.stderr.write(
      `firmware raised ${board.errors.length} uncaught error(s): ${board.errors.map(String).join('; ')}\n`,
    );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`emulator: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
