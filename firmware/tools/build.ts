/**
 * The firmware build: tsc (ES5) → one bundle (common files + the transport's link, wrapped in one
 * function, settings injected as `WHARF_CFG`) → terser (ecma 5, hoist_funs) → gates that fail the
 * build (ES5 parse, globals allowlist, use before definition, size). Writes
 * `wharf-agent.<transport>.js` and `wharf-agent.<transport>.manifest.json` (no secrets in it).
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { minify } from 'terser';
import { WharfError } from '../../src/shared/errors.js';
import { redact } from '../../src/shared/logger.js';
import { WIRE } from '../../src/boards/protocol/wire.js';
import { SERIAL_PORTS } from './allowlist.js';
import { compileAgent, FIRMWARE_DIR } from './compile.js';
import { estimateVariables, runGates, type GateProblem } from './gates.js';

export const FIRMWARE_VERSION = '0.1.0';
export const MAX_BUNDLE_BYTES = 12 * 1024;
export const DEFAULT_BUILD_DIR = path.join(FIRMWARE_DIR, 'build');

export type Transport = 'serial' | 'mqtt';

export interface FirmwareSettings {
  transport: Transport;
  boardId: string;
  /** Highest per-entry rate the agent accepts (caps.hz). Default 200 (what Espruino on an ESP32 sustains with a few readers). */
  maxHz?: number;
  /** Backlog budget in Espruino variables when process.memory() is missing. Default 2000. */
  backlogVars?: number;
  /** serial */
  serial?: (typeof SERIAL_PORTS)[number];
  baud?: number;
  /** Device path for Espruino on Linux boards (Raspberry Pi): Serial1.setup(baud, {path}). */
  path?: string;
  /** mqtt */
  mqttHost?: string;
  mqttPort?: number;
  secret?: string;
  wifiSsid?: string;
  wifiPassword?: string;
}

export interface FirmwareManifest {
  file: string;
  transport: Transport;
  firmware: string;
  bytes: number;
  limitBytes: number;
  /** Rough Espruino variable count of the code (see docs/firmware.md). */
  variablesEstimate: number;
  sha256: string;
  sourceHash: string;
  settings: Record<string, unknown>;
}

export interface BuildResult {
  code: string;
  manifest: FirmwareManifest;
  /** Written files (absent when `write: false`). */
  file?: string;
  manifestFile?: string;
}

const BOARD_ID = /^[A-Za-z0-9_.-]{1,64}$/;

function validate(s: FirmwareSettings): void {
  const bad = (msg: string) => {
    throw new WharfError('FIRMWARE_BUILD', msg);
  };
  if (s.transport !== 'serial' && s.transport !== 'mqtt')
    bad(`--transport must be serial or mqtt, got '${String(s.transport)}'`);
  if (!BOARD_ID.test(s.boardId))
    bad(
      `--board-id '${s.boardId}' must be 1-64 characters of A-Z a-z 0-9 _ . - (it becomes an MQTT topic level)`,
    );
  if (s.maxHz !== undefined && !(s.maxHz > 0 && s.maxHz <= 2000))
    bad(`max Hz ${s.maxHz} must be in (0, 2000]`);
  if (s.transport === 'serial') {
    if (s.serial !== undefined && !(SERIAL_PORTS as readonly string[]).includes(s.serial))
      bad(`--serial must be one of ${SERIAL_PORTS.join(', ')}, got '${s.serial}'`);
    if (s.baud !== undefined && !(Number.isInteger(s.baud) && s.baud >= 300 && s.baud <= 4_000_000))
      bad(`--baud ${s.baud} is not a serial baud rate`);
  } else {
    if (!s.mqttHost)
      bad('--mqtt-host is required for --transport mqtt (the broker the board connects to)');
    if (
      s.mqttPort !== undefined &&
      !(Number.isInteger(s.mqttPort) && s.mqttPort > 0 && s.mqttPort < 65536)
    )
      bad(`--mqtt-port ${s.mqttPort} is not a TCP port`);
    if (s.wifiPassword && !s.wifiSsid) bad('--wifi-password given without --wifi-ssid');
  }
}

/** The `WHARF_CFG` object literal; the serial port is an identifier (checked by the globals gate). */
function settingsLiteral(s: FirmwareSettings): string {
  const o: Record<string, unknown> = {
    bid: s.boardId,
    fw: FIRMWARE_VERSION,
    hz: s.maxHz ?? 200,
    blv: s.backlogVars ?? 2000,
  };
  if (s.transport === 'serial') {
    o.baud = s.baud ?? 115200;
    if (s.path) o.path = s.path;
  } else {
    o.mh = s.mqttHost;
    o.mp = s.mqttPort ?? 1883;
    if (s.secret) o.sec = s.secret;
    if (s.wifiSsid) o.ws = s.wifiSsid;
    if (s.wifiPassword) o.wp = s.wifiPassword;
  }
  const json = JSON.stringify(o);
  return s.transport === 'serial' ? `${json.slice(0, -1)},"sp":${s.serial ?? 'Serial1'}}` : json;
}

function failOn(problems: GateProblem[], stage: string, code: string): void {
  if (!problems.length) return;
  const lines = problems.map((p) => {
    const ctx =
      p.at === undefined
        ? ''
        : ` near …${code.slice(Math.max(0, p.at - 30), p.at + 30).replace(/\s+/g, ' ')}…`;
    return `  [${p.gate}] ${p.message}${ctx}`;
  });
  throw new WharfError(
    'FIRMWARE_BUILD',
    `firmware bundle failed the ${stage} gates:\n${lines.join('\n')}`,
    { details: { problems } },
  );
}

export interface BuildOptions {
  outDir?: string;
  /** Write the bundle and manifest (default true). */
  write?: boolean;
  maxBytes?: number;
}

export async function buildFirmware(
  settings: FirmwareSettings,
  opts: BuildOptions = {},
): Promise<BuildResult> {
  validate(settings);
  const maxBytes = opts.maxBytes ?? MAX_BUNDLE_BYTES;
  const agent = compileAgent();
  const link = settings.transport === 'serial' ? 'link-serial' : 'link-mqtt';
  const parts = agent.files
    .filter((f) => !f.name.startsWith('link-') || f.name === link)
    .map((f) => f.js);
  const start = settings.transport === 'serial' ? 'startSerial();' : 'startMqtt();';
  // the protocol constants come from the gateway's own module (src/boards/protocol/wire.ts)
  const bundle = `(function(){\nvar WIRE = ${JSON.stringify(WIRE)};\nvar WHARF_CFG = ${settingsLiteral(settings)};\n${parts.join('\n')}\n${start}\n})();\n`;
  // gates on tsc's own output first (clear positions), then on what ships
  failOn(runGates(bundle, Number.MAX_SAFE_INTEGER), 'pre-minify', bundle);
  const min = await minify(bundle, {
    ecma: 5,
    compress: { hoist_funs: true, typeofs: false, passes: 2 },
    mangle: true,
    format: { ecma: 5, ascii_only: true },
  });
  const code = min.code ?? '';
  failOn(runGates(code, maxBytes), 'release', code);

  const file = `wharf-agent.${settings.transport}.js`;
  const manifest: FirmwareManifest = {
    file,
    transport: settings.transport,
    firmware: FIRMWARE_VERSION,
    bytes: Buffer.byteLength(code, 'utf8'),
    limitBytes: maxBytes,
    variablesEstimate: estimateVariables(code),
    sha256: createHash('sha256').update(code).digest('hex'),
    sourceHash: agent.sourceHash,
    settings: redact({ ...settings }) as Record<string, unknown>,
  };
  if (opts.write === false) return { code, manifest };
  const outDir = opts.outDir ?? DEFAULT_BUILD_DIR;
  await mkdir(outDir, { recursive: true });
  const filePath = path.join(outDir, file);
  const manifestPath = path.join(outDir, `wharf-agent.${settings.transport}.manifest.json`);
  await writeFile(`${filePath}.tmp`, code);
  await rename(`${filePath}.tmp`, filePath);
  await writeFile(`${manifestPath}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${manifestPath}.tmp`, manifestPath);
  return { code, manifest, file: filePath, manifestFile: manifestPath };
}
