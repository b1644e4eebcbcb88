/**
 * A line of the series view (one reader of one component's method): its key and an empty line, the
 * same for the raw path (series.ts) and the rollup path (series-rollup.ts), so both group readings
 * alike — by header fields and reader, not by stream (two streams whose tags differ share a line).
 */
import type { SeriesLine } from './api-types.js';

export type LineHead = Pick<
  SeriesLine,
  'machine' | 'part_id' | 'component_type' | 'component_name' | 'method_name'
>;

export function lineKey(h: LineHead, key: string): string {
  return `${h.machine}\u0000${h.part_id}\u0000${h.component_type}\u0000${h.component_name}\u0000${h.method_name}\u0000${key}`;
}

export function emptyLine(h: LineHead, key: string, kind: 'analog' | 'gpio'): SeriesLine {
  return {
    machine: h.machine,
    part_id: h.part_id,
    component_type: h.component_type,
    component_name: h.component_name,
    method_name: h.method_name,
    key,
    kind,
    t: [],
    v: [],
    bucket_t: [],
    min: [],
    max: [],
    avg: [],
  };
}
