/**
 * The gateway's own health as a sensor `Readings` map of named values, each `{value}` (the shape
 * the charts and the rollup read). A value the machine does not expose (no thermal zone in a VM or
 * container) is left out, never made up.
 *   cpu_temp_c           hottest CPU/SoC thermal zone (°C), from /sys/class/thermal
 *   load_1m, load_5m, load_15m
 *   disk_free_bytes      available to wharf on the capture dir's filesystem
 *   disk_free_ratio      disk_free_bytes / filesystem size
 *   mem_available_bytes  MemAvailable from /proc/meminfo (else free memory)
 *   mem_total_bytes
 */
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type HealthReadings = Record<string, { value: number }>;

export interface HealthSources {
  captureDir: string;
  /** Default /sys/class/thermal. */
  thermalDir?: string;
  /** Default /proc/meminfo. */
  meminfo?: string;
}

const CPU_ZONE = /cpu|pkg|soc|x86|core|package|acpitz/i;

/** Hottest CPU-like thermal zone in °C, or undefined when there is none. */
export async function cpuTemperature(dir = '/sys/class/thermal'): Promise<number | undefined> {
  let zones: string[];
  try {
    zones = (await fsp.readdir(dir)).filter((z) => z.startsWith('thermal_zone'));
  } catch {
    return undefined;
  }
  let best: number | undefined;
  let anyCpu = false;
  const all: number[] = [];
  for (const z of zones) {
    try {
      const [type, temp] = await Promise.all([
        fsp.readFile(path.join(dir, z, 'type'), 'utf8'),
        fsp.readFile(path.join(dir, z, 'temp'), 'utf8'),
      ]);
      const milli = Number(temp.trim());
      if (!Number.isFinite(milli)) continue;
      const c = milli / 1000;
      all.push(c);
      if (CPU_ZONE.test(type)) {
        anyCpu = true;
        best = best === undefined ? c : Math.max(best, c);
      }
    } catch {
      // a zone that cannot be read is skipped
    }
  }
  if (anyCpu) return best;
  return all.length > 0 ? Math.max(...all) : undefined;
}

async function memAvailable(file: string): Promise<number> {
  try {
    const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(await fsp.readFile(file, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return os.freemem();
}

export async function readHealth(s: HealthSources): Promise<HealthReadings> {
  const out: HealthReadings = {};
  const temp = await cpuTemperature(s.thermalDir);
  if (temp !== undefined) out.cpu_temp_c = { value: temp };
  const [l1, l5, l15] = os.loadavg();
  out.load_1m = { value: l1! };
  out.load_5m = { value: l5! };
  out.load_15m = { value: l15! };
  const st = await fsp.statfs(s.captureDir);
  const free = st.bavail * st.bsize;
  out.disk_free_bytes = { value: free };
  out.disk_free_ratio = { value: st.blocks > 0 ? st.bavail / st.blocks : 0 };
  out.mem_available_bytes = { value: await memAvailable(s.meminfo ?? '/proc/meminfo') };
  out.mem_total_bytes = { value: os.totalmem() };
  return out;
}
