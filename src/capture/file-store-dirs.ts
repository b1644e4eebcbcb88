/**
 * The FileCaptureStore's directories: created on first use (mkdir -p) with every new level made
 * durable (the parent of each created directory fsynced), then remembered until a write in them
 * fails (someone may have removed them).
 */
import path from 'node:path';
import type { CaptureIo } from './files.js';

export class DurableDirs {
  private readonly known = new Set<string>();

  constructor(private readonly io: CaptureIo) {}

  /** mkdir -p, then fsync the parents of every directory level so new entries are durable. */
  async ensure(dir: string): Promise<void> {
    if (this.known.has(dir)) return;
    const first = await this.io.mkdir(dir);
    if (first !== undefined) {
      let d = dir;
      const chain: string[] = [];
      while (d.length >= first.length) {
        chain.push(path.dirname(d));
        if (d === first) break;
        d = path.dirname(d);
      }
      for (const p of chain) await this.io.fsyncDir(p);
    }
    this.known.add(dir);
  }

  /** Re-create `dir` (and fsync its parents) next time: a write in it failed. */
  forget(dir: string): void {
    this.known.delete(dir);
  }
}
