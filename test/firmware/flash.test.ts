/**
 * `wharf firmware build|flash` through the CLI entry, with the real espruino CLI for flashing:
 * dry run writes what would be sent, a missing port and a port where no Espruino answers fail with
 * errors that say what to check, secrets never reach the output.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wharf-flash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const wharf = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  runCli(args, env, dir);

describe('wharf firmware', () => {
  it('build prints size, variables and settings with secrets redacted (also from the environment)', async () => {
    const r = await wharf(
      [
        'firmware',
        'build',
        '--transport',
        'mqtt',
        '--board-id',
        'esp-9',
        '--mqtt-host',
        '10.1.2.3',
        '--wifi-ssid',
        'plant',
        '--out',
        dir,
      ],
      {
        WHARF_BOARD_SECRET: 'board-secret-123',
        WHARF_WIFI_PASSWORD: 'wifi-secret-456',
      },
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(
      /wharf-agent\.mqtt\.js: \d+ bytes \(\d+% of 12288\), ~\d+ Espruino variables/,
    );
    expect(r.out).toContain('"secret":"[redacted]"');
    expect(r.out).toContain('"wifiPassword":"[redacted]"');
    expect(r.out).not.toMatch(/board-secret-123|wifi-secret-456/);
    expect(await readFile(path.join(dir, 'wharf-agent.mqtt.js'), 'utf8')).toContain(
      'board-secret-123',
    );
  });

  it('build refuses an unknown transport with the usage', async () => {
    const r = await wharf(['firmware', 'build', '--transport', 'zigbee']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--transport must be serial, mqtt or all/);
  });

  it('flash --dry-run writes what the espruino CLI would send', async () => {
    const b = await wharf([
      'firmware',
      'build',
      '--transport',
      'serial',
      '--board-id',
      'esp-d',
      '--out',
      dir,
    ]);
    expect(b.code).toBe(0);
    const out = path.join(dir, 'sent.js');
    const r = await wharf([
      'firmware',
      'flash',
      '--dry-run',
      '--out',
      out,
      '--file',
      path.join(dir, 'wharf-agent.serial.js'),
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const sent = await readFile(out, 'utf8');
    expect(sent).toContain('"esp-d"');
    expect(sent).toContain('LoopbackA.setConsole');
  }, 30_000);

  it('flash --dry-run --out takes any file name (x.txt), and a missing directory is a clear error, never a stack trace', async () => {
    const bundle = path.join(dir, 'wharf-agent.serial.js');
    const b = await wharf([
      'firmware',
      'build',
      '--transport',
      'serial',
      '--board-id',
      'esp-t',
      '--out',
      dir,
    ]);
    expect(b.code).toBe(0);
    const txt = path.join(dir, 'x.txt');
    const r = await wharf(['firmware', 'flash', '--dry-run', '--out', txt, '--file', bundle]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`wrote what would be sent to ${txt}`);
    expect(r.out).not.toMatch(/\bat .*\.js:\d+|Error:/);
    expect(await readFile(txt, 'utf8')).toContain('"esp-t"');
    const bad = await wharf([
      'firmware',
      'flash',
      '--dry-run',
      '--out',
      path.join(dir, 'no-such-dir', 'x.bin'),
      '--file',
      bundle,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--out .*x\.bin: the directory .*no-such-dir does not exist/);
    expect(bad.out + bad.err).not.toMatch(/\n\s+at /);
  }, 30_000);

  it('flash to a port that does not exist says so and what to check', async () => {
    const r = await wharf([
      'firmware',
      'flash',
      '--port',
      path.join(dir, 'ttyUSB9'),
      '--file',
      path.join(dir, 'wharf-agent.serial.js'),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /no serial port .*ttyUSB9: is the board plugged in\?.*\[FIRMWARE_FLASH\]/s,
    );
  });

  it('flash where no Espruino answers fails within its bound instead of reporting success', async () => {
    const got: Buffer[] = [];
    const server = net.createServer((s) => s.on('data', (d) => got.push(d)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const t0 = Date.now();
      const r = await wharf([
        'firmware',
        'flash',
        '--port',
        `tcp://127.0.0.1:${port}`,
        '--file',
        path.join(dir, 'wharf-agent.serial.js'),
        '--timeout',
        '20',
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no Espruino answered on tcp:\/\/127\.0\.0\.1:\d+.*baud rate/s);
      expect(Date.now() - t0).toBeLessThan(21_000);
      expect(Buffer.concat(got).toString()).toContain('process.env'); // it did try to talk to the REPL
    } finally {
      server.close();
    }
  }, 30_000);
});
