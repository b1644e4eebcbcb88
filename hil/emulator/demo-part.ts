/**
 * A demo part (src/app/demo.ts DemoPart shape) that adds two emulated ESP32s running the real
 * firmware bundle to `wharf demo`: `esp32-serial` on a socat pty pair (serial:// remote) and
 * `esp32-mqtt` on the gateway's embedded broker (mqtt:// remote with a generated secret). Each
 * captures Analogs at 10 Hz (streamed) and GPIO at 1 Hz. Without socat the serial board is left out
 * with a warning; with an external broker the MQTT board is left out.
 *
 * To enable: append `firmwareDemoPart` to DEMO_PARTS in src/app/demo.ts.
 */
import { randomBytes } from 'node:crypto';
import type { CapturePlan, PlanEntry, BoardSpec } from '../../src/config/plan.js';
import type { BoardHardwareConfig, CaptureMethod } from '../../src/boards/board.js';
import type { Logger } from '../../src/shared/logger.js';
import { findTool } from '../../test/helpers/system-tool.js';
import { ptyPair, type PtyPair } from '../bench/pty.js';
import type { EmulatedBoard } from './board.js';
import { startEmulatedBoard } from './start.js';

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
  return {
    spec: {
      id,
      address,
      transport,
      ...(secret ? { secret } : {}),
      components: [{ name: component, type: 'board', hardware: HARDWARE }],
    },
    entries: [entry('Analogs', ['A1', 'A2', 'A3'], 10), entry('Gpio', ['25', '27'], 1)],
  };
}

export const firmwareDemoPart = {
  name: 'firmware-boards',
  async start(ctx: { home: string; env: NodeJS.ProcessEnv; logger: Logger }) {
    const boards: EmulatedBoard[] = [];
    const added: { spec: BoardSpec; entries: PlanEntry[] }[] = [];
    const banner: string[] = [];
    let pty: PtyPair | undefined;
    if (findTool('socat')) {
      pty = await ptyPair();
      boards.push(
        await startEmulatedBoard({
          boardId: 'esp32-serial',
          serialPath: pty.a,
          logger: ctx.logger,
        }),
      );
      added.push(remote('esp32-serial', `serial://${pty.b}?baud=115200`, 'serial'));
      banner.push(`  firmware: emulated ESP32 'esp32-serial' (real agent bundle) on ${pty.b}`);
    } else
      ctx.logger.warn(
        'socat not found: the demo runs without the emulated serial ESP32 (bash scripts/system-deps.sh)',
      );
    const secret = randomBytes(12).toString('hex');
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
          await startEmulatedBoard({
            boardId: 'esp32-mqtt',
            mqttUrl: `mqtt://${host}:${b.port}`,
            secret,
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
