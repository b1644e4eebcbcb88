/**
 * Where every JSON path of the result starts, recorded while parsing. A duplicate key's losing
 * value (and its children) is forgotten, so issues point at the value that wins.
 */
import type { SourcePos } from './jsonc-text.js';

export class PositionLog {
  /** Path → where it starts; null = forgotten (the value of a duplicate key that lost). */
  private readonly starts = new Map<string, SourcePos | null>();
  /** Every path recorded, in order: the paths of one value are a contiguous run of it. */
  private readonly recorded: string[] = [];

  /** How many paths have been recorded: a mark for `forget`. */
  get mark(): number {
    return this.recorded.length;
  }

  /** True when `path` has a live position. */
  has(path: string): boolean {
    return this.starts.get(path) != null;
  }

  record(path: string, pos: SourcePos): void {
    this.starts.set(path, pos);
    this.recorded.push(path);
  }

  /**
   * Forgets the paths recorded between two marks (the value of a duplicate key that lost). Only
   * those paths are visited (a scan of every position per duplicate was quadratic: found by
   * fuzzing). Overwritten with null, not deleted: deleting and re-adding keys of a large Map is slow.
   */
  forget(from: number, to: number): void {
    for (let i = from; i < to; i++) this.starts.set(this.recorded[i]!, null);
  }

  /** Where every path that is part of the result starts. */
  positions(): Map<string, SourcePos> {
    const out = new Map<string, SourcePos>();
    for (const [k, v] of this.starts) if (v !== null) out.set(k, v);
    return out;
  }
}
