/**
 * `wharf demo` (= `npm start`): the gateway on examples/sim-gateway.jsonc with everything embedded,
 * data under WHARF_HOME (default ~/.wharf).
 *
 * Hook point: DEMO_PARTS. Each part starts before the gateway (an embedded broker, a local cloud,
 * emulated firmware, …) and may adjust the plan, give transports context, add banner lines, act
 * once the gateway runs, and stop after it. Add a part by appending to DEMO_PARTS.
 */
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CapturePlan } from '../config/index.js';
import type { Logger } from '../shared/logger.js';
import type { Gateway } from './gateway.js';
import type { TransportContext } from '../boards/registry.js';
import { cloudDemoPart } from './demo-cloud.js';
import { firmwareDemoPart } from './demo-firmware.js';

export interface DemoContext {
  /** WHARF_HOME (default ~/.wharf): everything the demo writes lives under it. */
  home: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export interface DemoPartHandle {
  adjustPlan?: (plan: CapturePlan) => CapturePlan;
  transportContext?: Partial<TransportContext>;
  banner?: string[];
  afterGateway?: (gw: Gateway) => Promise<void>;
  stop?: () => Promise<void>;
}

export interface DemoPart {
  name: string;
  start(ctx: DemoContext): Promise<DemoPartHandle>;
}

/** The parts the demo runs, in start order (stopped in reverse). */
export const DEMO_PARTS: DemoPart[] = [cloudDemoPart, firmwareDemoPart];

export const DEMO_CONFIG = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../examples/sim-gateway.jsonc',
);

export function wharfHome(env: NodeJS.ProcessEnv): string {
  const h = env.WHARF_HOME;
  return h !== undefined && h !== ''
    ? path.resolve(h.replace(/^~(?=$|\/)/, os.homedir()))
    : path.join(os.homedir(), '.wharf');
}

/** True when host:port can be bound right now. */
export function portFree(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}
