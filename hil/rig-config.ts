/**
 * The gateway config the end-to-end reconnect/restart tests run (hil/reconnect, restart-mid-drain,
 * restart-config-change, reboot-while-down): one remote per emulated board — MQTT on the embedded
 * broker or serial on the gateway end of a pty pair — with one board component `<id>-board`
 * captured at the given methods, capture files flushed every 200 ms and finished every second.
 */
import type { PtyPair } from '../src/emulator/pty.js';

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
