/**
 * A demo part (DemoPart in demo.ts) that adds two emulated ESP32s running the real firmware bundle
 * to `wharf demo`: `esp32-serial` on a socat pty pair (serial:// remote) and `esp32-mqtt` on the
 * gateway's embedded broker (mqtt:// remote with a generated secret). Each captures Analogs at
 * 10 Hz (streamed), GPIO at 1 Hz and the `Readings` of its board-side sensors (demo-sensors.ts: a
 * pulse counter fed by a steady emulated pulse source, an analog pin calibrated to bar). Without socat the serial board is left out with a warning;
 * with an external broker the MQTT board is left out.
 *
 * The bundles are prebuilt by `npm run build` into dist/firmware/ (shipped in the package), so the
 * demo needs no build tool at run time. The MQTT bundle carries a placeholder secret that is
 * replaced by this run's random one. In a source checkout whose firmware sources are newer than
 * the prebuilt bundles (or without them), the bundle is built through the firmware toolchain seam.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CapturePlan, PlanEntry, BoardSpec } from '../config/plan.js';
import type { BoardHardwareConfig, CaptureMethod } from '../boards/board.js';
import { WharfError, errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { EmulatedBoard } from '../emulator/board.js';
import { hasSocat, ptyPair, type PtyPair } from '../emulator/pty.js';
import { PtySerial } from '../emulator/serial-binding.js';
import { demoInputs } from '../emulator/signals.js';
import { demoSensors, demoSensorsBanner, startPulseSource } from './demo-sensors.js';
import {
  loadFirmwareBuild,
  PACKAGE_ROOT,
  type ToolchainFirmwareSettings,
} from './firmware-toolchain.js';

/** Where `npm run build` puts the demo bundles. */
export const DEMO_BUNDLE_DIR = path.join(PACKAGE_ROOT, 'dist', 'firmware');
/** Stands for the secret in the prebuilt MQTT bundle (a string literal survives minification). */
export const DEMO_SECRET_PLACEHOLDER = 'wharfDemoSecretPlaceholder0';

/** The settings the demo bundles are built with (scripts/build.ts uses these). */
export function demoFirmwareSettings(
  transport: 'serial' | 'mqtt',
  secret = DEMO_SECRET_PLACEHOLDER,
): ToolchainFirmwareSettings {
  return transport === 'serial'
    ? { transport, boardId: 'esp32-serial' }
    : // host/port are overridden by the emulator (it connects to the gateway's broker)
      { transport, boardId: 'esp32-mqtt', mqttHost: '127.0.0.1', secret };
}

export function demoBundleFile(transport: 'serial' | 'mqtt'): string {
  return path.join(DEMO_BUNDLE_DIR, `demo-agent.${transport}.js`);
}

function newestMtime(dirs: string[]): number {
  let newest = 0;
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) newest = Math.max(newest, statSync(path.join(d, f)).mtimeMs);
  }
  return newest;
}

/**
 * The demo bundle for a transport with this run's secret: the prebuilt one, or (source checkout
 * with newer firmware sources, or none prebuilt) a fresh build through the toolchain.
 */
export async function demoBundle(transport: 'serial' | 'mqtt', secret: string): Promise<string> {
  const file = demoBundleFile(transport);
  // only a source checkout (tsconfig.json is not shipped) can have sources newer than the bundle;
  // an installed package's mtimes are its extraction times
  const checkout = existsSync(path.join(PACKAGE_ROOT, 'tsconfig.json'));
  const sources = ['src', 'tools'].map((d) => path.join(PACKAGE_ROOT, 'firmware', d));
  const fresh = existsSync(file) && (!checkout || statSync(file).mtimeMs >= newestMtime(sources));
  if (!fresh) {
    const tools = await loadFirmwareBuild('the demo (no prebuilt firmware bundle: npm run build)');
    return (await tools.buildFirmware(demoFirmwareSettings(transport, secret), { write: false }))
      .code;
  }
  const code = await readFile(file, 'utf8');
  if (transport === 'serial') return code;
  if (!/^[0-9a-f]{8,64}$/.test(secret))
    throw new WharfError('INTERNAL', 'demo board secret must be hex');
  if (!code.includes(DEMO_SECRET_PLACEHOLDER))
    throw new WharfError(
      'INTERNAL',
      `${file} has no secret placeholder; rebuild it (npm run build)`,
    );
  return code.replaceAll(DEMO_SECRET_PLACEHOLDER, secret);
}

const HARDWARE: BoardHardwareConfig = {
  analogs: [
    { name: 'A1', pin: '34' },
    { name: 'A2', pin: '33' },
    { name: 'A3', pin: '32' },
  ],
  pins: ['25', '27'],
};

function remote(
  id: string,
  address: string,
  transport: string,
  secret?: string,
): { spec: BoardSpec; entries: PlanEntry[] } {
  const component = `${id}-board`;
  const entry = (method: CaptureMethod, readers: string[], hz: number): PlanEntry => ({
    key: `${id}/board/${component}/${method}/${readers.join(',')}`,
    boardId: id,
    component_type: 'board',
    component_name: component,
    resource: `rdk:component:board/${component}`,
    method,
    readers,
    hz,
    additional_params: Object.fromEntries(readers.map((r) => [r, ''])),
    tags: ['demo', 'firmware'],
    supported: true,
  });
  const sensors = demoSensors(id, ['demo', 'firmware']);
  return {
    spec: {
      id,
      address,
      transport,
      ...(secret ? { secret } : {}),
      components: [{ name: component, type: 'board', hardware: HARDWARE }, ...sensors.components],
    },
    entries: [
      entry('Analogs', ['A1', 'A2', 'A3'], 10),
      entry('Gpio', ['25', '27'], 1),
      ...sensors.entries,
    ],
  };
}

async function startBoard(o: {
  code: string;
  serialPath?: string;
  mqttUrl?: string;
  logger: Logger;
}): Promise<EmulatedBoard> {
  const serial =
    o.serialPath === undefined ? undefined : await PtySerial.open(o.serialPath, 115200);
  const board = new EmulatedBoard({
    code: o.code,
    ...(serial === undefined ? {} : { serial }),
    ...(o.mqttUrl === undefined ? {} : { mqttUrl: o.mqttUrl }),
    ...demoInputs(),
    logger: o.logger,
  });
  board.start();
  startPulseSource(board);
  return board;
}

export const firmwareDemoPart = {
  name: 'firmware-boards',
  async start(ctx: { home: string; env: NodeJS.ProcessEnv; logger: Logger }) {
    const boards: EmulatedBoard[] = [];
    const added: { spec: BoardSpec; entries: PlanEntry[] }[] = [];
    const banner: string[] = [];
    const secret = randomBytes(12).toString('hex');
    let code: { serial: string; mqtt: string };
    try {
      code = { serial: await demoBundle('serial', secret), mqtt: await demoBundle('mqtt', secret) };
    } catch (err) {
      ctx.logger.warn(
        { err: errorMessage(err) },
        'no firmware bundle for the emulated ESP32s: the demo runs without them (npm run build makes them)',
      );
      return {
        banner,
        adjustPlan: (plan: CapturePlan): CapturePlan => plan,
        afterGateway: async (): Promise<void> => undefined,
        stop: async (): Promise<void> => undefined,
      };
    }
    let pty: PtyPair | undefined;
    if (hasSocat()) {
      pty = await ptyPair();
      boards.push(await startBoard({ code: code.serial, serialPath: pty.a, logger: ctx.logger }));
      added.push(remote('esp32-serial', `serial://${pty.b}?baud=115200`, 'serial'));
      banner.push(`  firmware: emulated ESP32 'esp32-serial' (real agent bundle) on ${pty.b}`);
    } else
      ctx.logger.warn(
        'socat not found: the demo runs without the emulated serial ESP32 (install socat)',
      );
    banner.push(...demoSensorsBanner());
    let mqttPlanned = false;
    return {
      banner,
      adjustPlan: (plan: CapturePlan): CapturePlan => {
        const extra = [...added];
        // the gateway's embedded broker admits the board with this secret; the board starts once
        // the broker listens (afterGateway), so any port works, 0 included
        mqttPlanned = plan.gateway.broker.mode === 'embedded';
        if (mqttPlanned) extra.push(remote('esp32-mqtt', 'mqtt://esp32-mqtt', 'mqtt', secret));
        return {
          ...plan,
          boards: [
            ...plan.boards.filter((b) => !extra.some((x) => x.spec.id === b.id)),
            ...extra.map((x) => x.spec),
          ],
          entries: [
            ...plan.entries.filter((e) => !extra.some((x) => x.spec.id === e.boardId)),
            ...extra.flatMap((x) => x.entries),
          ],
        };
      },
      afterGateway: async (gw: {
        broker?: { embedded(): { host: string; port: number } | undefined };
      }) => {
        const b = gw.broker?.embedded();
        if (!mqttPlanned || b === undefined) return;
        const host = b.host === '0.0.0.0' || b.host === '::' ? '127.0.0.1' : b.host;
        boards.push(
          await startBoard({
            code: code.mqtt,
            mqttUrl: `mqtt://${host}:${b.port}`,
            logger: ctx.logger,
          }),
        );
        ctx.logger.info(
          { broker: `mqtt://${host}:${b.port}` },
          "emulated ESP32 'esp32-mqtt' (real agent bundle) started",
        );
      },
      stop: async () => {
        for (const b of boards) await b.stop();
        await pty?.close();
      },
    };
  },
};
