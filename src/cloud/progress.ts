/** A one-line progress bar for long CLI operations (export, sync now) on a TTY; plain lines otherwise. */
import type { Writable } from 'node:stream';

export interface Progress {
  update(done: number, total: number | null, extra?: string): void;
  finish(msg: string): void;
}

const fmtBytes = (n: number): string =>
  n >= 1 << 20
    ? `${(n / (1 << 20)).toFixed(1)} MiB`
    : n >= 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${n} B`;
export { fmtBytes };

export function progressBar(
  out: Writable,
  isTTY: boolean,
  label: string,
  unit: string,
  nowMs: () => number = Date.now,
): Progress {
  let last = 0;
  const start = nowMs();
  return {
    update(done, total, extra = '') {
      const t = nowMs();
      if (t - last < (isTTY ? 100 : 2000)) return;
      last = t;
      const rate = done / Math.max((t - start) / 1000, 0.001);
      let line: string;
      if (total !== null && total > 0) {
        const frac = Math.min(1, done / total);
        const width = 30;
        const fill = Math.round(frac * width);
        line = `${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total} ${unit} ${rate.toFixed(0)} ${unit}/s ${extra}`;
      } else {
        line = `${label} ${done} ${unit} ${rate.toFixed(0)} ${unit}/s ${extra}`;
      }
      out.write(isTTY ? `\r${line.trimEnd()}\x1b[K` : `${line.trimEnd()}\n`);
    },
    finish(msg) {
      out.write(isTTY ? `\r${msg}\x1b[K\n` : `${msg}\n`);
    },
  };
}
