/**
 * The gateway app with an mqtt:// remote: it starts the embedded broker from the plan, the board
 * authenticates with the remote's secret, gets its board config at handshake, streams, and the
 * readings land in the capture store mapped to gateway time; a board that drops is accounted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/app/gateway.js';
import { MemoryCaptureStore } from '../../../src/capture/memory-store.js';
import { parseConfig } from '../../../src/config/index.js';
import { nullLogger } from '../../../src/shared/logger.js';
import type { AnalogValue, CaptureRecord } from '../../../src/shared/record.js';
import { attachMqttPeer } from '../helpers/mqtt-peer.js';
import { TestPeer } from '../helpers/test-peer.js';
import { waitFor } from '../../helpers/wait.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function mqttPlan(dir: string, hz: number) {
  const text = JSON.stringify({
    wharf: {
      machine: 'gw-test',
      part_id: 'gw-part',
      broker: { host: '127.0.0.1', port: 1883 },
      http: null,
    },
    services: [
      {
        name: 'dm',
        type: 'data_manager',
        attributes: { capture_dir: dir, flush_interval_ms: 200 },
      },
    ],
    components: [],
    remotes: [
      {
        name: 'esp-e2e',
        address: 'mqtt://esp-e2e',
        secret: 'e2e-secret-xyz',
        components: [
          {
            name: 'my-esp32',
            type: 'board',
            model: 'esp32',
            namespace: 'rdk',
            attributes: {
              pins: [27],
              analogs: [
                { name: 'A1', pin: '34' },
                { name: 'A2', pin: '35' },
              ],
            },
          },
        ],
        service_configs: [
          {
            type: 'data_manager',
            attributes: {
              capture_methods: [
                {
                  name: 'rdk:component:board/my-esp32',
                  method: 'Analogs',
                  capture_frequency_hz: hz,
                  additional_params: { reader_name: 'A1' },
                },
              ],
            },
          },
        ],
      },
    ],
  });
  const r = parseConfig(text, {
    sourcePath: join(dir, 'machine.json'),
    env: { HOME: dir, WHARF_HOME: dir },
  });
  if (!r.ok) throw new Error(`config does not load: ${JSON.stringify(r.issues)}`);
  // port 0: any free port (tests never use fixed ports)
  return {
    ...r.plan,
    gateway: {
      ...r.plan.gateway,
      http: null,
      sync: null,
      broker: { mode: 'embedded' as const, host: '127.0.0.1', port: 0 },
    },
  };
}

describe('gateway with an mqtt:// remote', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('starts the embedded broker, handshakes with the board config, and captures streamed readings in gateway time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-gw-mqtt-'));
    dirs.push(dir);
    const store = new MemoryCaptureStore();
    const gw = await Gateway.start({
      plan: mqttPlan(dir, 20),
      logger: nullLogger,
      store,
      http: null,
    });
    const peer = new TestPeer({ bid: 'esp-e2e', clkStart: 42 });
    peer.analog.set('A1', 2048);
    const broker = gw.broker!.embedded()!;
    expect(broker.port).toBeGreaterThan(0);
    const side = await attachMqttPeer(broker.url, 'esp-e2e', 'e2e-secret-xyz', peer);
    try {
      const t0 = Date.now();
      const end = t0 + 8000;
      const key = gw.currentPlan.entries[0]!.key;
      let recs: CaptureRecord[] = [];
      while (Date.now() < end) {
        recs = store.records(key).filter((r) => r.kind === 'reading');
        if (recs.length >= 20) break;
        await sleep(50);
      }
      expect(recs.length).toBeGreaterThanOrEqual(20);
      const cfg = peer.received.find((f) => f.t === 'cfg')!;
      expect(cfg.a).toEqual([
        ['A1', '34'],
        ['A2', '35'],
      ]);
      for (const r of recs) {
        if (r.kind !== 'reading') continue;
        expect((r.data as Record<string, AnalogValue>).A1!.value).toBe(2048);
        expect(Math.abs(r.time_requested - Date.now())).toBeLessThan(10_000);
        expect(r.time_received).toBeGreaterThanOrEqual(r.time_requested - 10);
      }
      // Link counters and the clock mapping are on /metrics.
      peer.sendRaw('not json at all');
      let text = '';
      await waitFor(
        async () =>
          /wharf_board_bad_frames\{board="esp-e2e"\} 1\b/.test((text = await gw.metrics.render())),
        10_000,
        'the bad frame counted on /metrics',
      );
      expect(text).toMatch(/wharf_board_bad_frames\{board="esp-e2e"\} 1\b/);
      expect(text).toMatch(/wharf_board_clock_offset_ms\{board="esp-e2e"\} [-\d.e+]+/);
      // The broker's refusals are counted on the gateway's /metrics (none here).
      expect(text).toMatch(/^wharf_mqtt_refused_total\{reason="bad_credentials"\} 0$/m);
      // The board drops off the network: the outage becomes a board_offline gap once it is back.
      side.cut();
      await waitFor(
        () => gw.engine.status().every((e) => !e.online),
        15_000,
        'the gateway to see the board offline',
      );
      const side2 = await attachMqttPeer(broker.url, 'esp-e2e', 'e2e-secret-xyz', peer);
      const end2 = Date.now() + 8000;
      while (
        Date.now() < end2 &&
        !store.records(key).some((r) => r.kind === 'gap' && r.reason === 'board_offline')
      )
        await sleep(50);
      expect(store.records(key).some((r) => r.kind === 'gap' && r.reason === 'board_offline')).toBe(
        true,
      );
      await side2.close();
    } finally {
      await gw.stop();
      await side.close().catch(() => undefined);
    }
  });
});
