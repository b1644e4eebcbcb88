/**
 * How a disk budget deletion is accounted (disk-budget.ts): each deleted file becomes a
 * `disk_quota` gap record (its readings, their span, the file name), and the gap records it held
 * are carried into the newest file, consecutive deleted spans merged and their number bounded.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { CaptureMeta, GapRecord } from '../shared/record.js';
import { decodeCaptureFile } from './file-format.js';
import type { CaptureFileEntry } from './files.js';

export interface DeletedFile {
  path: string;
  bytes: number;
  readings: number;
  gap: GapRecord;
  /** Gap records the file held, appended again (carried) so their account survives. */
  carried: GapRecord[];
  rule: 'quota' | 'disk_full';
}

/** Component identity from the path when a file's header is unreadable. */
function metaFromPath(dir: string, file: string): CaptureMeta {
  const parts = path.relative(dir, path.dirname(file)).split(path.sep);
  return {
    part_id: '',
    machine: '',
    component_type: parts[0] ?? 'unknown',
    component_name: parts[1] ?? 'unknown',
    method_name: parts[2] ?? 'unknown',
    additional_parameters: {},
    tags: [],
  };
}

export type Described = DeletedFile & { meta: CaptureMeta };

/** Decode a file and describe its deletion; null when it holds no readings (never deleted). */
export async function describe(
  dir: string,
  f: CaptureFileEntry,
  rule: DeletedFile['rule'],
  why: string,
): Promise<Described | null> {
  let meta: CaptureMeta;
  let readings = 0;
  const carried: GapRecord[] = [];
  let start = Infinity;
  let end = -Infinity;
  let note = '';
  try {
    const d = decodeCaptureFile(await fsp.readFile(f.path));
    meta = d.header.meta;
    for (const r of d.records) {
      if (r.kind === 'gap') {
        carried.push(r);
        continue;
      }
      readings++;
      for (const t of [r.time_requested, r.time_received]) {
        if (!Number.isFinite(t)) continue;
        start = Math.min(start, t);
        end = Math.max(end, t);
      }
    }
    if (readings === 0) return null;
    if (!Number.isFinite(start)) start = end = d.header.created_ms;
    if (d.torn !== null)
      note = `; file was damaged after ${d.records.length} records (${d.torn.reason}), readings after that unknown`;
  } catch (err) {
    meta = metaFromPath(dir, f.path);
    start = end = f.mtimeMs;
    note = `; header unreadable (${errorMessage(err)}), reading count unknown`;
  }
  const gap: GapRecord = {
    kind: 'gap',
    reason: 'disk_quota',
    start,
    end,
    count: readings,
    detail: `deleted ${path.relative(dir, f.path)} (${f.size} bytes, ${readings} readings, ${carried.length} gap records carried over) ${why}${note}`,
  };
  return { path: f.path, bytes: f.size, readings, gap, carried, rule, meta };
}

/** Typical time between two readings of a gap or file span (Infinity when unknown). */
function spacing(start: number, end: number, count: number): number {
  return count > 1 && end > start ? (end - start) / (count - 1) : Infinity;
}

/**
 * The disk_quota gaps to write for a deleted file: its own and the ones it carries (earlier
 * deletions), with the spans that chain without a hole merged (each starts within two reading
 * intervals of the previous end; counts summed). A run of consecutive deleted files of a stream
 * then stays one record however long it runs, while a span in between that was not deleted (e.g.
 * files synced meanwhile) keeps gaps apart. The file's own gap is left as it is (the report).
 */
export function coalesceDeletions(gaps: readonly GapRecord[]): GapRecord[] {
  const sorted = [...gaps].sort((x, y) => x.start - y.start || x.end - y.end);
  const out: GapRecord[] = [];
  let cur: GapRecord | undefined;
  let merged = 0;
  const close = () => {
    if (cur === undefined) return;
    if (merged > 0)
      cur.detail = `${merged + 1} consecutive deleted spans, ${cur.count} readings in all; the latest: ${(cur.detail ?? '').replace(/^\d+ consecutive deleted spans, \d+ readings in all; the latest: /, '')}`;
    out.push(cur);
  };
  for (const g of sorted) {
    if (cur !== undefined) {
      const near =
        2 * Math.min(spacing(cur.start, cur.end, cur.count), spacing(g.start, g.end, g.count)) + 1;
      if (g.start - cur.end <= near) {
        cur.end = Math.max(cur.end, g.end);
        cur.count += g.count;
        cur.detail = g.detail ?? cur.detail;
        merged++;
        continue;
      }
    }
    close();
    cur = { ...g };
    merged = 0;
  }
  close();
  if (out.length <= MAX_CARRIED_SPANS) return out;
  // Bounded: a long run of deletions in interleaved files would otherwise grow the account with
  // every deletion. The oldest spans fold into one summary (count exact, span approximate).
  const fold = out.slice(0, out.length - MAX_CARRIED_SPANS + 1);
  const n = fold.reduce((a, g) => a + g.count, 0);
  const summary: GapRecord = {
    kind: 'gap',
    reason: 'disk_quota',
    start: Math.min(...fold.map((g) => g.start)),
    end: Math.max(...fold.map((g) => g.end)),
    count: n,
    detail: `${fold.length} spans of deleted capture files between these times, ${n} readings in all (files kept or synced in between may hold readings of this period)`,
  };
  return [summary, ...out.slice(out.length - MAX_CARRIED_SPANS + 1)];
}

/** At most this many disk_quota spans are carried per deleted file (the rest fold into one). */
const MAX_CARRIED_SPANS = 8;
