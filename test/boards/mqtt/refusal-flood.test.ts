/**
 * A flood of bad MQTT connects against the real embedded broker over TCP: every refusal is counted
 * on /metrics (`wharf_mqtt_refused_total{reason}`), the log stays bounded (a few lines per client
 * and reason, then one summary), and a username that looks like a password is never printed.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/boards/mqtt/broker.js';
import { memoryLogger } from '../../../src/shared/logger.js';
import { Metrics } from '../../../src/shared/metrics.js';

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** An MQTT 3.1.1 CONNECT packet with username and password. */
function connectPacket(clientId: string, username: string, password: string): Buffer {
  const body = Buffer.concat([
    str('MQTT'),
    Buffer.from([4, 0xc2, 0, 60]), // level 4; flags: username, password, clean session; keepalive 60
    str(clientId),
    str(username),
    str(password),
  ]);
  const len: number[] = [];
  let n = body.length;
  do {
    let d = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) d |= 0x80;
    len.push(d);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x10, ...len]), body]);
}

/** Connects over TCP, sends CONNECT, resolves with the CONNACK return code (or 'closed'). */
function attempt(port: number, clientId: string, username: string, password: string) {
  return new Promise<number | 'closed'>((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const done = (v: number | 'closed') => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(10_000, () => done('closed'));
    s.on('connect', () => s.write(connectPacket(clientId, username, password)));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf[0] === 0x20) done(buf[3]!);
    });
    s.on('error', () => done('closed'));
    s.on('close', () => done('closed'));
  });
}

async function flood(n: number, concurrency: number, one: (i: number) => Promise<unknown>) {
  let next = 0;
  const results: unknown[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) results.push(await one(i));
    }),
  );
  return results;
}

function metricValue(text: string, reason: string): number {
  const m = new RegExp(`^wharf_mqtt_refused_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

describe('MQTT refusal flood', () => {
  let broker: EmbeddedBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  it('counts every refused connect, logs a bounded number of lines, never prints a password-like username', async () => {
    const log = memoryLogger();
    const metrics = new Metrics();
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards: [{ id: 'esp-a', secret: 'secret-a-123' }],
      logger: log,
      metrics,
      refusalLog: { burst: 5, intervalMs: 60_000 },
    });
    const port = broker.port;
    const N = 300;
    const PASSWORDISH = 'Tr0ub4dor&3-horse';
    // one client floods with its password typed as the username; another with a wrong secret
    const rc1 = await flood(N, 20, (i) => attempt(port, `c${i}`, PASSWORDISH, 'x'));
    const rc2 = await flood(40, 10, () => attempt(port, 'esp-a', 'esp-a', 'wrong-secret-999'));
    const typo = await attempt(port, 'esp-aa', 'esp-aa', 'secret-a-123');
    expect(rc1.every((r) => r === 4)).toBe(true); // CONNACK "bad username or password"
    expect(rc2.every((r) => r === 4)).toBe(true);
    expect(typo).toBe(4);

    const text = await metrics.render();
    expect(metricValue(text, 'unknown_board')).toBe(N + 1);
    expect(metricValue(text, 'bad_credentials')).toBe(40);
    expect(metricValue(text, 'forbidden_publish')).toBe(0);
    expect(broker.stats.authFailures).toBe(N + 41);

    const refusedLines = () => log.lines.filter((l) => l.obj.reason !== undefined);
    // all from 127.0.0.1: 5 lines per reason in this interval, no matter how many attempts
    expect(refusedLines().length).toBeLessThanOrEqual(10);
    await broker.close();
    broker = undefined;
    // closing writes the summary of what was not logged: logged + suppressed = attempts
    const lines = refusedLines();
    expect(lines.length).toBeLessThanOrEqual(12);
    for (const reason of ['unknown_board', 'bad_credentials']) {
      const mine = lines.filter((l) => l.obj.reason === reason);
      const summarised = mine.reduce((s, l) => s + (Number(l.obj.suppressed) || 0), 0);
      const single = mine.filter((l) => l.obj.suppressed === undefined).length;
      expect(single + summarised).toBe(reason === 'unknown_board' ? N + 1 : 40);
    }
    const all = JSON.stringify(log.lines);
    expect(all).not.toContain(PASSWORDISH);
    expect(all).not.toContain('wrong-secret-999');
    expect(all).not.toContain('secret-a-123');
    expect(all).toContain('(not a board id, hidden)');
  });

  it('a near-miss username is hidden but names the board it resembles', async () => {
    const log = memoryLogger();
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      boards: [{ id: 'esp-kitchen', secret: 's3cret-kitchen' }],
      logger: log,
    });
    expect(await attempt(broker.port, 'esp-kichen', 'esp-kichen', 's3cret-kitchen')).toBe(4);
    const line = log.lines.find((l) => l.obj.reason === 'unknown_board');
    expect(line?.obj).toMatchObject({
      username: '(not a board id, hidden)',
      usernameResembles: 'esp-kitchen',
      client: '127.0.0.1',
    });
    expect(JSON.stringify(log.lines)).not.toContain('esp-kichen');
  });
});
