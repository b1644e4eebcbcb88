import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listSerialPorts } from '../../../src/boards/serial/ports.js';
import { parseSerialAddress } from '../../../src/boards/serial/address.js';

describe('serial ports and addresses', () => {
  it('falls back to /dev/serial/by-id and ttyUSB/ttyACM nodes when udev listing fails (no udevadm)', async () => {
    const dev = mkdtempSync(join(tmpdir(), 'wharf-dev-'));
    try {
      mkdirSync(join(dev, 'serial', 'by-id'), { recursive: true });
      for (const n of ['ttyUSB0', 'ttyACM3', 'ttyS0', 'null']) writeFileSync(join(dev, n), '');
      writeFileSync(join(dev, 'serial', 'by-id', 'usb-Silicon_Labs_CP2102-if00-port0'), '');
      const failing = () => Promise.reject(new Error('spawn udevadm ENOENT'));
      const ports = await listSerialPorts(failing, dev);
      expect(ports.map((p) => p.path.slice(dev.length))).toEqual([
        '/serial/by-id/usb-Silicon_Labs_CP2102-if00-port0',
        '/ttyACM3',
        '/ttyUSB0',
      ]);
      expect(ports.every((p) => p.source === 'dev')).toBe(true);
      const udev = await listSerialPorts(
        async () => [{ path: '/dev/ttyUSB9', manufacturer: 'FTDI' }],
        dev,
      );
      expect(udev).toEqual([{ path: '/dev/ttyUSB9', manufacturer: 'FTDI', source: 'udev' }]);
    } finally {
      rmSync(dev, { recursive: true, force: true });
    }
  });

  it('parses serial addresses and says what to write for a bad one', () => {
    expect(parseSerialAddress('serial:///dev/ttyUSB0?baud=921600')).toEqual({
      path: '/dev/ttyUSB0',
      baud: 921600,
    });
    expect(parseSerialAddress('serial:///dev/serial/by-id/usb-x-if00')).toEqual({
      path: '/dev/serial/by-id/usb-x-if00',
      baud: 115200,
    });
    expect(parseSerialAddress('firmata:///dev/ttyACM0', 57600).baud).toBe(57600);
    expect(() => parseSerialAddress('serial://dev/ttyUSB0')).toThrow(/three slashes/);
    expect(() => parseSerialAddress('serial:///dev/ttyUSB0?baud=12345')).toThrow(
      /baud=12345 is not a standard rate/,
    );
    expect(() => parseSerialAddress('serial:///dev/ttyUSB0?parity=odd')).toThrow(
      /unknown option 'parity'/,
    );
  });
});
