/**
 * `wharf firmware build|flash`: builds the board agent bundle (firmware/tools/build.ts) and uploads
 * it with the espruino CLI (firmware/tools/flash.ts). Both are build tools, loaded only here through
 * src/app/firmware-toolchain.ts (an install without dev dependencies is told what to install).
 * Secrets come from options or the environment (WHARF_BOARD_SECRET, WHARF_WIFI_PASSWORD) and are
 * never printed.
 */
import path from 'node:path';
import {
  loadFirmwareBuild,
  loadFirmwareFlash,
  PACKAGE_ROOT,
  type ToolchainFirmwareSettings as FirmwareSettings,
} from '../../app/firmware-toolchain.js';
import { parse } from '../args.js';
import type { CliCommand, CliContext } from '../context.js';
import { WharfError } from '../../shared/errors.js';
import { redact } from '../../shared/logger.js';

const USAGE = `usage:
  wharf firmware build [--transport serial|mqtt|all] [--board-id ID] [--out DIR]
        serial: [--serial Serial1|Serial2|USB] [--baud 115200] [--path /dev/ttyS0]
        mqtt:   --mqtt-host HOST [--mqtt-port 1883] [--secret S] [--wifi-ssid SSID] [--wifi-password P]
        [--max-hz 200] [--backlog-vars 2000]
  wharf firmware flash --port /dev/ttyUSB0 [--baud 115200] [--file BUNDLE] [--timeout 60]
  wharf firmware flash --dry-run --out FILE [--file BUNDLE]

  The secret and WiFi password may also come from WHARF_BOARD_SECRET / WHARF_WIFI_PASSWORD.
`;

const OPTIONS = {
  transport: { type: 'string' },
  'board-id': { type: 'string' },
  serial: { type: 'string' },
  baud: { type: 'string' },
  path: { type: 'string' },
  'mqtt-host': { type: 'string' },
  'mqtt-port': { type: 'string' },
  secret: { type: 'string' },
  'wifi-ssid': { type: 'string' },
  'wifi-password': { type: 'string' },
  'max-hz': { type: 'string' },
  'backlog-vars': { type: 'string' },
  out: { type: 'string' },
  port: { type: 'string' },
  file: { type: 'string' },
  timeout: { type: 'string' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function shown(ctx: CliContext, p: string): string {
  const rel = path.relative(ctx.cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw new WharfError('USAGE', `--${name} must be a number, got '${v}'\n${USAGE}`);
  return n;
}

async function build(
  values: Record<string, string | boolean | undefined>,
  ctx: CliContext,
): Promise<number> {
  const s = (k: string) => values[k] as string | undefined;
  const which = s('transport') ?? 'serial';
  if (!['serial', 'mqtt', 'all'].includes(which))
    throw new WharfError(
      'USAGE',
      `--transport must be serial, mqtt or all, got '${which}'\n${USAGE}`,
    );
  type Transport = FirmwareSettings['transport'];
  const transports: Transport[] = which === 'all' ? ['serial', 'mqtt'] : [which as Transport];
  const tools = await loadFirmwareBuild();
  const outDir = s('out') ? path.resolve(ctx.cwd, s('out') as string) : tools.DEFAULT_BUILD_DIR;
  for (const transport of transports) {
    const settings: FirmwareSettings = {
      transport,
      boardId: s('board-id') ?? 'esp32',
      ...(s('serial') ? { serial: s('serial') } : {}),
      ...(s('baud') ? { baud: num(s('baud'), 'baud') } : {}),
      ...(s('path') ? { path: s('path') } : {}),
      ...(transport === 'mqtt'
        ? {
            mqttHost: s('mqtt-host') ?? (which === 'all' ? '127.0.0.1' : undefined),
            mqttPort: num(s('mqtt-port'), 'mqtt-port'),
            secret: s('secret') ?? ctx.env.WHARF_BOARD_SECRET,
            wifiSsid: s('wifi-ssid'),
            wifiPassword: s('wifi-password') ?? ctx.env.WHARF_WIFI_PASSWORD,
          }
        : {}),
      ...(s('max-hz') ? { maxHz: num(s('max-hz'), 'max-hz') } : {}),
      ...(s('backlog-vars') ? { backlogVars: num(s('backlog-vars'), 'backlog-vars') } : {}),
    };
    for (const k of Object.keys(settings) as (keyof FirmwareSettings)[])
      if (settings[k] === undefined) delete settings[k];
    ctx.stdout.write(`building the ${transport} agent with ${JSON.stringify(redact(settings))}\n`);
    const r = await tools.buildFirmware(settings, { outDir });
    const m = r.manifest;
    ctx.stdout.write(
      `  gates passed: ES5 parse, globals allowlist, definition order, size\n` +
        `  ${shown(ctx, r.file as string)}: ${m.bytes} bytes (${Math.round((100 * m.bytes) / m.limitBytes)}% of ${m.limitBytes}), ~${m.variablesEstimate} Espruino variables\n` +
        `  manifest: ${shown(ctx, r.manifestFile as string)}\n`,
    );
  }
  return 0;
}

async function flash(
  values: Record<string, string | boolean | undefined>,
  ctx: CliContext,
): Promise<number> {
  const s = (k: string) => values[k] as string | undefined;
  const file = s('file')
    ? path.resolve(ctx.cwd, s('file') as string)
    : path.join(PACKAGE_ROOT, 'firmware', 'build', 'wharf-agent.serial.js');
  const { flashFirmware } = await loadFirmwareFlash();
  const r = await flashFirmware({
    port: s('port'),
    baud: num(s('baud'), 'baud'),
    file,
    dryRun: values['dry-run'] === true,
    out: s('out') ? path.resolve(ctx.cwd, s('out') as string) : undefined,
    timeoutMs: (num(s('timeout'), 'timeout') ?? 60) * 1000,
    progress: (line) => ctx.stdout.write(`  ${line}\n`),
  });
  ctx.stdout.write(
    r.out
      ? `wrote what would be sent to ${r.out}\n`
      : `flashed ${file} to ${s('port')}; it runs at boot\n`,
  );
  return 0;
}

export const command: CliCommand = {
  async run(args, ctx) {
    const { values, positionals } = parse(args, OPTIONS, USAGE);
    const sub = positionals[0];
    if (values.help || sub === undefined) {
      ctx.stdout.write(USAGE);
      return values.help ? 0 : 2;
    }
    if (sub === 'build') return build(values, ctx);
    if (sub === 'flash') return flash(values, ctx);
    throw new WharfError('USAGE', `unknown firmware subcommand '${sub}'\n${USAGE}`);
  },
};
