/**
 * The rig of the end-to-end reconnect/restart tests (hil/reconnect, restart-mid-drain,
 * restart-config-change, reboot-while-down): a real `wharf run` child process and emulated ESP32s
 * running the compiled bundles, one remote per board — MQTT on the embedded broker or serial on
 * the gateway end of a pty pair — with one board component `<id>-board` captured at the given
 * methods, capture files flushed every 200 ms and finished every second.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EmulatedBoard } from '../src/emulator/board.js';
import { ptyPair, type PtyPair } from '../src/emulator/pty.js';
import { PtySerial } from '../src/emulator/serial-binding.js';
import {
  freePort,
  startGatewayProcess,
  waitListening,
  type GatewayProcess,
} from './bench/gateway-process.js';
import { bundleFor } from './emulator/bundle.js';
import { UplinkTally } from './bench/uplink-tally.js';
import { until } from '../test/boards/helpers/wait.js';
import { EMULATED_INPUTS } from './targets.js';

export interface RigLink {
  id: string;
  transport: 'mqtt' | 'serial';
  /** serial: the pty pair (board end a, gateway end b) */
  pty?: PtyPair;
}

export interface RigMethod {
  method: 'Analogs' | 'Gpio';
  hz: number;
  params: Record<string, string>;
}

export interface RigConfigOptions {
  dir: string;
  brokerPort: number;
  httpPort: number;
  /** the MQTT boards' secret */
  secret: string;
  rigs: readonly RigLink[];
  /** the board component's attributes (default: analog A1 on pin 34) */
  attributes?: Record<string, unknown>;
  /** what is captured from each board (default: Analogs A1 at `hz`) */
  methods?: readonly RigMethod[];
  hz?: number;
}

export function rigGatewayConfig(o: RigConfigOptions): Record<string, unknown> {
  const methods = o.methods ?? [{ method: 'Analogs', hz: o.hz ?? 20, params: { A1: '' } }];
  const remote = (r: RigLink) => ({
    name: r.id,
    address: r.transport === 'mqtt' ? `mqtt://${r.id}` : `serial://${r.pty!.b}?baud=115200`,
    ...(r.transport === 'mqtt' ? { secret: o.secret } : {}),
    components: [
      {
        name: `${r.id}-board`,
        type: 'board',
        attributes: o.attributes ?? { analogs: [{ name: 'A1', pin: '34' }] },
      },
    ],
    service_configs: [
      {
        type: 'data_manager',
        attributes: {
          capture_methods: methods.map((m) => ({
            name: `rdk:component:board/${r.id}-board`,
            method: m.method,
            capture_frequency_hz: m.hz,
            additional_params: m.params,
          })),
        },
      },
    ],
  });
  return {
    wharf: {
      machine: 'hil-gw',
      part_id: 'hil-main',
      broker: { host: '127.0.0.1', port: o.brokerPort },
      http: { host: '127.0.0.1', port: o.httpPort },
      sync: null,
    },
    services: [
      {
        name: 'data_manager',
        type: 'data_manager',
        attributes: {
          capture_dir: o.dir,
          flush_interval_ms: 200,
          maximum_capture_file_age_ms: 1000,
        },
      },
    ],
    components: [],
    remotes: o.rigs.map(remote),
  };
}

export interface RigGateway {
  gw: GatewayProcess;
  brokerPort: number;
  httpPort: number;
  secret: string;
  cfgFile: string;
  logFile: string;
  /** the capture dir */
  capture: string;
  /** Rewrites the config file (a restarted gateway reads it). */
  rewrite(config: Record<string, unknown>): Promise<void>;
  /** Starts `wharf run` again on the same config and log. */
  restart(): GatewayProcess;
}

/** Pty pairs for the serial rigs, free ports, the config, and the gateway listening. */
export async function startRigGateway(
  dir: string,
  rigs: RigLink[],
  config: (
    capture: string,
    brokerPort: number,
    httpPort: number,
    secret: string,
  ) => Record<string, unknown>,
): Promise<RigGateway> {
  for (const rig of rigs) if (rig.transport === 'serial') rig.pty = await ptyPair();
  const brokerPort = await freePort();
  const httpPort = await freePort();
  const secret = `s-${Math.random().toString(36).slice(2)}`;
  const cfgFile = path.join(dir, 'gateway.json');
  const logFile = path.join(dir, 'gateway.log');
  const capture = path.join(dir, 'capture');
  const rewrite = (c: Record<string, unknown>) => writeFile(cfgFile, JSON.stringify(c));
  await rewrite(config(capture, brokerPort, httpPort, secret));
  const gw = startGatewayProcess(cfgFile, logFile);
  await waitListening(brokerPort, 30_000);
  return {
    gw,
    brokerPort,
    httpPort,
    secret,
    cfgFile,
    logFile,
    capture,
    rewrite,
    restart: () => startGatewayProcess(cfgFile, logFile),
  };
}

/**
 * One emulated board of the rig, running its transport's compiled bundle, started. `uplink` gets
 * every frame the board writes (also into a pulled link); it may use the board (`board()`).
 */
export async function startRigBoard(
  rig: RigLink,
  g: Pick<RigGateway, 'brokerPort' | 'secret'>,
  uplink: (board: () => EmulatedBoard) => (text: string) => void,
): Promise<EmulatedBoard> {
  const code = await bundleFor(
    rig.transport === 'mqtt'
      ? {
          transport: 'mqtt',
          boardId: rig.id,
          mqttHost: '127.0.0.1',
          mqttPort: g.brokerPort,
          secret: g.secret,
        }
      : { transport: 'serial', boardId: rig.id },
  );
  let board: EmulatedBoard | undefined;
  const get = () => board!;
  board = new EmulatedBoard({
    code,
    ...(rig.transport === 'serial' ? { serial: await PtySerial.open(rig.pty!.a) } : {}),
    ...EMULATED_INPUTS,
    onUplink: uplink(get),
  });
  return board.start();
}

/** A rig whose board's uplink is tallied: what it sent, in wall-clock time. */
export interface TalliedRig extends RigLink {
  board?: EmulatedBoard;
  tally?: UplinkTally;
}

/**
 * Starts every rig's board (startRigBoard) with an UplinkTally of each frame it writes; `also`
 * sees each frame after the tally (e.g. to act on the first backlog frame).
 */
export async function startTalliedBoards(
  rigs: readonly TalliedRig[],
  g: Pick<RigGateway, 'brokerPort' | 'secret'>,
  also?: (rig: TalliedRig, board: () => EmulatedBoard, text: string) => void,
): Promise<void> {
  for (const rig of rigs) {
    rig.board = await startRigBoard(rig, g, (board) => {
      const tally = new UplinkTally((ms) => board().boardToWall(ms));
      rig.tally = tally;
      return (text) => {
        tally.feed(text, rig.transport === 'mqtt');
        also?.(rig, board, text);
      };
    });
  }
}

/** Waits until every rig's board has streamed live samples (400 ms of them) since `since`. */
export function untilStreaming(
  rigs: readonly TalliedRig[],
  since: number,
  what: string,
  timeoutMs = 40_000,
): Promise<void> {
  return until(() => rigs.every((x) => x.tally!.liveSince(since, 400)), timeoutMs, what);
}

/**
 * afterAll of a rig test: the gateway killed, every board stopped and pty pair closed, the
 * directory removed (kept with WHARF_KEEP_DIR=1, to look at after a failure).
 */
export async function stopRig(
  gw: GatewayProcess | undefined,
  rigs: readonly (RigLink & { board?: EmulatedBoard })[],
  dir: string | undefined,
): Promise<void> {
  await gw?.kill('SIGKILL');
  for (const rig of rigs) await rig.board?.stop();
  for (const rig of rigs) await rig.pty?.close();
  if (dir !== undefined && process.env.WHARF_KEEP_DIR !== '1')
    await rm(dir, { recursive: true, force: true });
}
