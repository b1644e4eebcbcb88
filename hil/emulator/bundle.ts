/** Builds (and caches per process) the firmware bundle an emulated board runs. */
import { buildFirmware, type FirmwareSettings } from '../../firmware/tools/build.js';

const cache = new Map<string, Promise<string>>();

export function bundleFor(settings: FirmwareSettings): Promise<string> {
  const key = JSON.stringify(settings);
  let p = cache.get(key);
  if (!p) {
    p = buildFirmware(settings, { write: false }).then((r) => r.code);
    cache.set(key, p);
  }
  return p;
}
