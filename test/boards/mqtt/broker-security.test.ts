/**
 * The embedded broker's promises, over real TCP: per-board authentication, the ACL (a board
 * touches only its own topics, proven with mosquitto_pub/mosquitto_sub impersonating another board),
 * retained status with the last will, TLS.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { MqttConnector } from '../../../src/boards/mqtt/mqtt-board.js';
import { ProtocolBoard } from '../../../src/boards/protocol/protocol-board.js';
import { realClock } from '../../../src/shared/clock.js';
import { memoryLogger } from '../../../src/shared/logger.js';
import type { StreamBatch } from '../../../src/boards/board.js';
import { requireTool } from '../../helpers/system-tool.js';
import { attachMqttPeer } from '../helpers/mqtt-peer.js';
import { TestPeer } from '../helpers/test-peer.js';
import { ESP32_HARDWARE as hardware } from '../helpers/hardware.js';
import { until } from '../helpers/wait.js';

const run = promisify(execFile);

describe('embedded broker security', () => {
  let broker: EmbeddedBroker;
  const log = memoryLogger();
  const boards = [
    { id: 'esp-a', secret: 'secret-a-123' },
    { id: 'esp-b', secret: 'secret-b-456' },
  ];

  beforeEach(async () => {
    log.lines.length = 0;
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards,
      logger: log,
      monitor: { username: 'ops', password: 'ops-pass' },
    });
  });
  afterEach(async () => {
    await broker.close();
  });

  it('refuses a wrong secret, an unknown board, and a client id that is not the board id; never logs the secret', async () => {
    const tryConnect = (o: mqtt.IClientOptions) =>
      new Promise<string>((resolve) => {
        const c = mqtt.connect(broker.url, { reconnectPeriod: 0, connectTimeout: 3000, ...o });
        c.once('connect', () => {
          c.end(true);
          resolve('connected');
        });
        c.once('error', (e) => {
          c.end(true);
          resolve(String((e as { code?: number }).code ?? e.message));
        });
      });
    expect(await tryConnect({ clientId: 'esp-a', username: 'esp-a', password: 'Xyzzy-bad' })).toBe(
      '4',
    );
    expect(await tryConnect({ clientId: 'nobody', username: 'nobody', password: 'x' })).toBe('4');
    expect(
      await tryConnect({ clientId: 'esp-b', username: 'esp-a', password: 'secret-a-123' }),
    ).not.toBe('connected');
    expect(
      await tryConnect({ clientId: 'esp-a', username: 'esp-a', password: 'secret-a-123' }),
    ).toBe('connected');
    expect(broker.stats.authFailures).toBe(3);
    expect(JSON.stringify(log.lines)).not.toMatch(/secret-a-123|Xyzzy-bad/);
  });

  it.skipIf(!requireTool('mosquitto_pub', 'the ACL test impersonates a board with mosquitto_pub'))(
    "mosquitto_pub as board B cannot inject frames into board A's topics, command A, or read A's traffic",
    async () => {
      const peerA = new TestPeer({ bid: 'esp-a' });
      const sideA = await attachMqttPeer(broker.url, 'esp-a', 'secret-a-123', peerA);
      const board = new ProtocolBoard(
        'esp-a',
        hardware,
        new MqttConnector('esp-a', () => broker.bus),
        realClock,
        log,
      );
      const batches: StreamBatch[] = [];
      board.on('batch', (b) => batches.push(b));
      try {
        await board.connect();
        await board.configure([
          { key: 'k', method: 'Analogs', readers: ['A1'], hz: 10, mode: 'streamed' },
        ]);
        const short = (peerA.received.find((f) => f.t === 'plan')!.e as { k: string }[])[0]!.k;
        const fake = JSON.stringify({ t: 'b', k: short, s: 999, t0: 1, dt: 100, v: [[4095]] });
        const port = String(broker.port);
        const pub = (topic: string, msg: string, user = 'esp-b', pass = 'secret-b-456') =>
          run(
            'mosquitto_pub',
            [
              '-h',
              '127.0.0.1',
              '-p',
              port,
              '-i',
              user,
              '-u',
              user,
              '-P',
              pass,
              '-t',
              topic,
              '-m',
              msg,
            ],
            { timeout: 5000 },
          ).then(
            () => 0,
            (e: { code?: number }) => e.code ?? 1,
          );
        // B publishing into A's up topic, A's down topic (commanding A), A's status: all refused.
        await pub('wharf/esp-a/up', fake);
        await pub('wharf/esp-a/down', JSON.stringify({ t: 'plan', id: 1, e: [], bms: 100 }));
        await pub('wharf/esp-a/status', 'offline');
        // B commanding itself is refused too: only the gateway publishes to …/down.
        await pub('wharf/esp-b/down', '{}');
        // A wrong password does not even connect.
        expect(await pub('wharf/esp-a/up', fake, 'esp-b', 'nope')).not.toBe(0);
        await until(() => broker.stats.deniedPublishes >= 4, 10_000, 'four denied publishes');
        expect(broker.stats.deniedPublishes).toBe(4);
        expect(batches.every((b) => b.seq !== 999)).toBe(true);
        expect(peerA.received.filter((f) => f.t === 'plan')).toHaveLength(1);
        expect(board.state).toBe('online');
        // B subscribing to A's traffic gets a refused subscription and no message.
        const sub = await run(
          'mosquitto_sub',
          [
            '-h',
            '127.0.0.1',
            '-p',
            port,
            '-i',
            'esp-b',
            '-u',
            'esp-b',
            '-P',
            'secret-b-456',
            '-t',
            'wharf/esp-a/up',
            '-C',
            '1',
            '-W',
            '2',
            '-v',
          ],
          { timeout: 5000 },
        ).then(
          (r) => ({ out: r.stdout, err: r.stderr, code: 0 }),
          (e: { stdout: string; stderr: string; code: number }) => ({
            out: e.stdout,
            err: e.stderr,
            code: e.code,
          }),
        );
        expect(sub.out).toBe('');
        expect(broker.stats.deniedSubscribes).toBe(1);
        // A's own stream kept flowing throughout.
        const n = batches.length;
        await until(() => batches.length > n, 10_000, 'more batches from A');
      } finally {
        await board.close();
        await sideA.close();
      }
    },
  );

  it('status is retained: online while connected, offline by last will when the board drops', async () => {
    const peer = new TestPeer({ bid: 'esp-b' });
    const side = await attachMqttPeer(broker.url, 'esp-b', 'secret-b-456', peer);
    const seen: string[] = [];
    const watchStatus = async () => {
      const c = await mqtt.connectAsync(broker.url, {
        clientId: 'ops-' + Math.random().toString(36).slice(2),
        username: 'ops',
        password: 'ops-pass',
        reconnectPeriod: 0,
      });
      c.on('message', (_t, p, pkt) =>
        seen.push(`${p.toString()}${pkt.retain ? ' (retained)' : ''}`),
      );
      await c.subscribeAsync('wharf/+/status');
      return c;
    };
    const mon1 = await watchStatus();
    await until(() => seen.includes('online (retained)'), 10_000, 'retained online');
    await mon1.endAsync();
    side.cut();
    // the broker has seen the client go (and written the retained offline in the same step)
    await until(() => !broker.bus.isOnline('esp-b'), 10_000, 'the broker to see the board gone');
    seen.length = 0;
    const mon2 = await watchStatus();
    await until(() => seen.includes('offline (retained)'), 10_000, 'retained offline');
    expect(broker.bus.isOnline('esp-b')).toBe(false);
    await mon2.endAsync();
  });

  it('board frames reach the gateway with and without a monitor on wharf/+/up, and the monitor sees them', async () => {
    const peer = new TestPeer({ bid: 'esp-a' });
    const side = await attachMqttPeer(broker.url, 'esp-a', 'secret-a-123', peer);
    const got: string[] = [];
    const detach = broker.bus.attach('esp-a', { frame: (t) => got.push(t), offline: () => {} });
    const seen: string[] = [];
    try {
      peer.sendRaw('{"t":"x","n":1}'); // no monitor: the broker routes the frame in-process
      await until(() => got.includes('{"t":"x","n":1}'), 2000, 'frame 1 at the gateway');
      const mon = await mqtt.connectAsync(broker.url, {
        clientId: 'ops-up',
        username: 'ops',
        password: 'ops-pass',
        reconnectPeriod: 0,
      });
      mon.on('message', (_t, p) => seen.push(p.toString()));
      await mon.subscribeAsync('wharf/+/up');
      peer.sendRaw('{"t":"x","n":2}'); // a monitor listens: the full publish path, both get it
      await until(() => got.includes('{"t":"x","n":2}'), 2000, 'frame 2 at the gateway');
      await until(() => seen.includes('{"t":"x","n":2}'), 2000, 'frame 2 at the monitor');
      await mon.endAsync();
      await until(() => broker.aedes.connectedClients === 1, 2000, 'monitor gone');
      peer.sendRaw('{"t":"x","n":3}');
      await until(() => got.includes('{"t":"x","n":3}'), 2000, 'frame 3 at the gateway');
      expect(got.filter((t) => t.startsWith('{"t":"x"'))).toEqual([
        '{"t":"x","n":1}',
        '{"t":"x","n":2}',
        '{"t":"x","n":3}',
      ]);
      expect(seen).toEqual(['{"t":"x","n":2}']);
    } finally {
      detach();
      await side.close();
    }
  });

  it('a changed or removed secret (live reload) disconnects the board; the old secret no longer works', async () => {
    const peer = new TestPeer({ bid: 'esp-a' });
    const side = await attachMqttPeer(broker.url, 'esp-a', 'secret-a-123', peer);
    const closed = new Promise<void>((r) => side.client.once('close', () => r()));
    broker.setBoards([
      { id: 'esp-a', secret: 'rotated-a-999' },
      { id: 'esp-b', secret: 'secret-b-456' },
    ]);
    await closed;
    expect(broker.bus.isOnline('esp-a')).toBe(false);
    await expect(
      attachMqttPeer(broker.url, 'esp-a', 'secret-a-123', new TestPeer({ bid: 'esp-a' })),
    ).rejects.toThrow();
    const again = await attachMqttPeer(
      broker.url,
      'esp-a',
      'rotated-a-999',
      new TestPeer({ bid: 'esp-a' }),
    );
    await again.close();
    await side.close().catch(() => undefined);
  });

  it('a board id that cannot be a topic level is refused with what to change', async () => {
    await expect(
      startEmbeddedBroker({
        host: '127.0.0.1',
        port: 0,
        boards: [{ id: 'a/b', secret: 'x' }],
        logger: log,
      }),
    ).rejects.toThrow(/board id 'a\/b' cannot be an MQTT topic level/);
  });
});

describe.skipIf(!requireTool('openssl', 'the TLS test makes a self-signed certificate'))(
  'embedded broker over TLS',
  () => {
    it('serves MQTT over TLS when cert and key are given; boards connect with the CA', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wharf-tls-'));
      try {
        const key = join(dir, 'key.pem');
        const cert = join(dir, 'cert.pem');
        await run(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            key,
            '-out',
            cert,
            '-days',
            '1',
            '-subj',
            '/CN=127.0.0.1',
            '-addext',
            'subjectAltName=IP:127.0.0.1',
          ],
          { timeout: 20_000 },
        );
        const broker = await startEmbeddedBroker({
          host: '127.0.0.1',
          port: 0,
          tls: { cert, key },
          boards: [{ id: 'esp-t', secret: 'tls-secret' }],
          logger: memoryLogger(),
        });
        try {
          expect(broker.url).toMatch(/^mqtts:\/\//);
          const peer = new TestPeer({ bid: 'esp-t' });
          const { readFileSync } = await import('node:fs');
          const side = await attachMqttPeer(broker.url, 'esp-t', 'tls-secret', peer, {
            ca: readFileSync(cert),
            rejectUnauthorized: true,
          });
          const board = new ProtocolBoard(
            'esp-t',
            hardware,
            new MqttConnector('esp-t', () => broker.bus),
            realClock,
          );
          peer.analog.set('A2', 4000);
          await board.connect();
          const d = (await board.read('Analogs', ['A2'], { timeoutMs: 2000 })) as Record<
            string,
            { value: number }
          >;
          expect(d.A2!.value).toBe(4000);
          await board.close();
          await side.close();
          // A plain-TCP client gets nowhere on the TLS port.
          const plain = await new Promise<string>((resolve) => {
            const c = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, {
              clientId: 'esp-t',
              username: 'esp-t',
              password: 'tls-secret',
              reconnectPeriod: 0,
              connectTimeout: 1500,
            });
            c.once('connect', () => resolve('connected'));
            c.once('error', () => resolve('error'));
            c.once('close', () => resolve('closed'));
          });
          expect(plain).not.toBe('connected');
        } finally {
          await broker.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
