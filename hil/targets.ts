/**
 * What the HIL suite runs against. By default two emulated ESP32s running the built bundle: one on
 * a real pty pair (socat), one on a real MQTT broker over TCP. With WHARF_HIL_PORT (serial) or
 * WHARF_HIL_MQTT (mqtt://[user:pass@]host:port/boardId) the same suite runs against a real board
 * wired to the fixture in docs/hil.md.
 */
import { ProtocolDriver } from './driver/driver.js';
import { MqttFrameLink, SerialFrameLink } from './driver/links.js';
import { benchBroker, type BenchBroker } from './bench/broker.js';
import { ptyPair, type PtyPair } from '../src/emulator/pty.js';
import { EmulatedBoard } from '../src/emulator/board.js';
import { bundleFor } from './emulator/bundle.js';
import { PtySerial } from '../src/emulator/serial-binding.js';
import { tcpSerialBridge } from './bench/tcp-bridge.js';
import { flashFirmware } from '../firmware/tools/flash.js';
import { constant, ramp } from '../src/emulator/signals.js';
import type { FirmwareSettings } from '../firmware/tools/build.js';

/** The known fixture: what is wired to which pin (docs/hil.md) and what it must read. */
export const FIXTURE = {
  cfg: {
    a: [
      ['A1', '34'],
      ['A2', '35'],
      ['A3', '32'],
    ],
    p: ['27', '26'],
  },
  /** A1: divider midpoint (1.65 V) → 2048; A2: GND → 0; A3: ramp (emulator) or anything (hardware). */
  expectRaw: { A1: 2048, A2: 0 },
  expectPins: { '27': 1, '26': 0 },
};

export const EMULATED_INPUTS = {
  analog: {
    D34: constant(1.65),
    D35: constant(0),
    D32: ramp({ from: 0, to: 3.3, periodMs: 1000 }),
  },
  gpio: { D27: constant(1), D26: constant(0) },
};

export interface HilTarget {
  name: string;
  hardware: boolean;
  transport: 'serial' | 'mqtt';
  driver: ProtocolDriver;
  /** Counts of tolerance on raw ADC values (the ESP32 ADC is not linear). */
  adcTolerance: number;
  emulator?: EmulatedBoard;
  /** Pull the link for a while and restore it; undefined when the bench cannot. */
  pullLink?: () => Promise<void>;
  restoreLink?: () => Promise<void>;
  /** Upload a bundle through `wharf firmware flash` (the espruino CLI) over the serial line. */
  flashFile?: (file: string) => Promise<void>;
  /** Settings the bundle on this target was built with (emulator only). */
  settings?: FirmwareSettings;
  close(): Promise<void>;
}

export interface TargetSpec {
  name: string;
  hardware: boolean;
  transport: 'serial' | 'mqtt';
  make(): Promise<HilTarget>;
}

/** What both emulated targets share: the driver, the emulator's link control, and closing in order. */
function emulatedParts(
  driver: ProtocolDriver,
  emulator: EmulatedBoard,
  settings: FirmwareSettings,
  closeTransport: () => Promise<void>,
): Pick<
  HilTarget,
  'driver' | 'adcTolerance' | 'emulator' | 'settings' | 'pullLink' | 'restoreLink' | 'close'
> {
  return {
    driver,
    adcTolerance: 1,
    emulator,
    settings,
    pullLink: async () => emulator.pullLink(),
    restoreLink: async () => emulator.restoreLink(),
    close: async () => {
      await driver.close();
      await emulator.stop();
      await closeTransport();
    },
  };
}

async function emulatedSerial(): Promise<HilTarget> {
  const pty: PtyPair = await ptyPair();
  const settings: FirmwareSettings = { transport: 'serial', boardId: 'hil-serial' };
  const code = await bundleFor(settings);
  const serial = await PtySerial.open(pty.a);
  const link = await SerialFrameLink.open(pty.b);
  const emulator = new EmulatedBoard({ code, serial, ...EMULATED_INPUTS });
  const driver = new ProtocolDriver(link);
  emulator.start();
  return {
    name: 'emulated ESP32 over pty serial',
    hardware: false,
    transport: 'serial',
    ...emulatedParts(driver, emulator, settings, () => pty.close()),
    // the gateway lets go of its end; the espruino CLI reaches it through a serial-to-TCP bridge
    flashFile: async (file) => {
      await link.pause();
      const bridge = await tcpSerialBridge(pty.b);
      try {
        await flashFirmware({ port: bridge.url, file, timeoutMs: 30_000 });
      } finally {
        await bridge.close();
        await link.reopen();
      }
    },
  };
}

async function emulatedMqtt(): Promise<HilTarget> {
  const secret = `s-${Math.random().toString(36).slice(2)}`;
  const broker: BenchBroker = await benchBroker({ 'hil-mqtt': secret });
  const settings: FirmwareSettings = {
    transport: 'mqtt',
    boardId: 'hil-mqtt',
    mqttHost: '127.0.0.1',
    mqttPort: broker.port,
    secret,
  };
  const code = await bundleFor(settings);
  const link = await MqttFrameLink.open(broker.url, 'hil-mqtt', broker.gateway);
  const driver = new ProtocolDriver(link);
  const emulator = new EmulatedBoard({ code, ...EMULATED_INPUTS });
  emulator.start();
  return {
    name: 'emulated ESP32 over MQTT',
    hardware: false,
    transport: 'mqtt',
    ...emulatedParts(driver, emulator, settings, () => broker.close()),
  };
}

async function hardwareSerial(port: string): Promise<HilTarget> {
  const link = await SerialFrameLink.open(port, Number(process.env.WHARF_HIL_BAUD ?? 115200));
  const driver = new ProtocolDriver(link);
  return {
    name: `real board on ${port}`,
    hardware: true,
    transport: 'serial',
    driver,
    adcTolerance: 250,
    // the gateway end lets go of the port: the board hears nothing for lt ms
    pullLink: () => link.pause(),
    restoreLink: () => link.reopen(),
    flashFile: async (file) => {
      await link.pause();
      try {
        await flashFirmware({
          port,
          baud: Number(process.env.WHARF_HIL_BAUD ?? 115200),
          file,
          timeoutMs: 90_000,
        });
      } finally {
        await link.reopen();
      }
    },
    close: () => driver.close(),
  };
}

/** mqtt://[user:pass@]host:port/boardId */
export function parseHilMqtt(value: string): {
  url: string;
  boardId: string;
  auth?: { username: string; password: string };
} {
  const u = new URL(value);
  const boardId = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (!boardId)
    throw new Error(
      `WHARF_HIL_MQTT=${u.protocol}//${u.host}/… needs the board id as its path, e.g. mqtt://127.0.0.1:1883/esp-1`,
    );
  const auth = u.username
    ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
    : undefined;
  return { url: `${u.protocol}//${u.host}`, boardId, auth };
}

async function hardwareMqtt(value: string): Promise<HilTarget> {
  const { url, boardId, auth } = parseHilMqtt(value);
  const link = await MqttFrameLink.open(url, boardId, auth);
  const driver = new ProtocolDriver(link);
  return {
    name: `real board ${boardId} on ${url}`,
    hardware: true,
    transport: 'mqtt',
    driver,
    adcTolerance: 250,
    close: () => driver.close(),
  };
}

export function hilTargets(env: NodeJS.ProcessEnv = process.env): TargetSpec[] {
  const specs: TargetSpec[] = [];
  if (env.WHARF_HIL_PORT)
    specs.push({
      name: `hardware serial ${env.WHARF_HIL_PORT}`,
      hardware: true,
      transport: 'serial',
      make: () => hardwareSerial(env.WHARF_HIL_PORT as string),
    });
  if (env.WHARF_HIL_MQTT)
    specs.push({
      name: 'hardware mqtt',
      hardware: true,
      transport: 'mqtt',
      make: () => hardwareMqtt(env.WHARF_HIL_MQTT as string),
    });
  if (!specs.length || env.WHARF_HIL_EMULATOR === '1') {
    specs.push({
      name: 'emulator serial (pty)',
      hardware: false,
      transport: 'serial',
      make: emulatedSerial,
    });
    specs.push({
      name: 'emulator mqtt (broker)',
      hardware: false,
      transport: 'mqtt',
      make: emulatedMqtt,
    });
  }
  return specs;
}
