/**
 * Serial port discovery. serialport's list() asks udev (udevadm), which containers and minimal
 * systems often lack; then it fails or returns nothing. Fall back to the device nodes themselves.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface PortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  source: 'udev' | 'dev';
}

export type ListFn = () => Promise<
  { path: string; manufacturer?: string | undefined; serialNumber?: string | undefined }[]
>;

export async function listSerialPorts(list?: ListFn, devDir = '/dev'): Promise<PortInfo[]> {
  const out: PortInfo[] = [];
  try {
    const l = list ?? (await import('serialport')).SerialPort.list;
    for (const p of await l()) {
      const i: PortInfo = { path: p.path, source: 'udev' };
      if (p.manufacturer !== undefined) i.manufacturer = p.manufacturer;
      if (p.serialNumber !== undefined) i.serialNumber = p.serialNumber;
      out.push(i);
    }
  } catch {
    // no udevadm: fall through to the device nodes
  }
  if (out.length > 0) return out;
  const seen = new Set<string>();
  const add = (path: string) => {
    if (!seen.has(path)) out.push({ path, source: 'dev' });
    seen.add(path);
  };
  try {
    for (const n of readdirSync(join(devDir, 'serial', 'by-id')))
      add(join(devDir, 'serial', 'by-id', n));
  } catch {
    // no by-id directory
  }
  try {
    for (const n of readdirSync(devDir)) if (/^tty(USB|ACM)\d+$/.test(n)) add(join(devDir, n));
  } catch {
    // unreadable /dev
  }
  return out;
}
