/**
 * Read-only inspection of a capture directory (what `wharf data ls|cat|stats` print): each file's
 * state, record counts and time span, and per-component totals with gaps by reason.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { CaptureRecord, GapReason } from '../shared/record.js';
import {
  decodeCaptureFile,
  FINISHED_SUFFIX,
  IN_PROGRESS_SUFFIX,
  recordSpan,
  type CaptureHeader,
} from './file-format.js';
import { FAILED_DIR, oldestFirst, walkCaptureDir } from './files.js';

/**
 * finished: a complete `.capture`; writing: a `.prog` (being written, or left by a crash and
 * recovered at the next start); failed: under `failed/`; damaged: a `.capture` whose records stop
 * early; unreadable: the header cannot be read.
 */
export type FileState = 'finished' | 'writing' | 'failed' | 'damaged' | 'unreadable';

export interface FileInfo {
  path: string;
  /** Path relative to the capture dir. */
  rel: string;
  state: FileState;
  bytes: number;
  header: CaptureHeader | null;
  records: number;
  readings: number;
  gaps: number;
  first: number | null;
  last: number | null;
  /** Why the file is damaged/unreadable (or where a .prog's partial tail starts). */
  problem: string | null;
}

/** True for files that cannot be read completely (what `wharf data stats` fails on). */
export function isProblem(f: FileInfo): boolean {
  return (
    f.state === 'unreadable' ||
    f.state === 'damaged' ||
    (f.state === 'failed' && f.problem !== null)
  );
}

/** Decode one file; `onRecord` sees every intact record. Never throws for file content. */
export async function inspectFile(
  dir: string,
  file: string,
  onRecord?: (rec: CaptureRecord, header: CaptureHeader) => void,
): Promise<FileInfo> {
  const rel = path.relative(dir, file);
  const inFailed = rel.split(path.sep)[0] === FAILED_DIR;
  const buf = await fsp.readFile(file);
  const info: FileInfo = {
    path: file,
    rel,
    state: 'finished',
    bytes: buf.length,
    header: null,
    records: 0,
    readings: 0,
    gaps: 0,
    first: null,
    last: null,
    problem: null,
  };
  if (inFailed) info.state = 'failed';
  else if (file.endsWith(IN_PROGRESS_SUFFIX)) info.state = 'writing';
  try {
    const d = decodeCaptureFile(buf);
    info.header = d.header;
    for (const r of d.records) {
      if (r.kind === 'reading') info.readings++;
      else info.gaps++;
      const s = recordSpan(r);
      if (info.first === null || s.start < info.first) info.first = s.start;
      if (info.last === null || s.end > info.last) info.last = s.end;
      onRecord?.(r, d.header);
    }
    info.records = d.records.length;
    if (d.torn !== null) {
      info.problem = `records stop at byte ${d.torn.offset} of ${buf.length}: ${d.torn.reason}`;
      if (info.state === 'finished') info.state = 'damaged';
    }
  } catch (err) {
    info.problem = errorMessage(err);
    // A .prog is by definition being written, or left by a crash and finished by recovery at the
    // next start (an empty or headless one is removed or set aside there): not a disk fault.
    if (info.state === 'writing')
      info.problem = `${buf.length === 0 ? 'empty' : 'no complete header yet'} (being written, or left by a crash: recovered at the next start): ${info.problem}`;
    else if (!inFailed) info.state = 'unreadable';
  }
  if (info.state === 'writing' && info.problem !== null && !info.problem.includes('recovered at'))
    info.problem = `${info.problem} (being written, or left by a crash: recovered at the next start)`;
  return info;
}

/** Every capture file under dir (finished, in progress and failed/), oldest first. */
export async function listAllCaptureFiles(dir: string): Promise<string[]> {
  const files = await walkCaptureDir(dir, [FINISHED_SUFFIX, IN_PROGRESS_SUFFIX], true);
  return oldestFirst(files).map((f) => f.path);
}

export interface ComponentStats {
  component: string;
  files: number;
  readings: number;
  gaps: number;
  missing: number;
  first: number | null;
  last: number | null;
  /**
   * time_received − time_requested over the readings, ms: for polled entries the poll lateness (how
   * long after its tick the board sampled), for streamed ones the delivery delay.
   */
  lateMs: { mean: number; max: number } | null;
}

export interface DirStats {
  files: Record<FileState, number>;
  bytes: number;
  readings: number;
  components: ComponentStats[];
  gapsByReason: { reason: GapReason | string; records: number; missing: number }[];
  problems: FileInfo[];
  /** `.prog` files with a partial tail or no header yet: normal while writing or after a crash. */
  interrupted: FileInfo[];
}

/** Totals over a capture dir (decodes every file once). */
export async function collectStats(
  dir: string,
  onProgress?: (done: number, total: number) => void,
): Promise<DirStats> {
  const files = await listAllCaptureFiles(dir);
  const states: Record<FileState, number> = {
    finished: 0,
    writing: 0,
    failed: 0,
    damaged: 0,
    unreadable: 0,
  };
  const comps = new Map<string, ComponentStats>();
  const reasons = new Map<string, { reason: string; records: number; missing: number }>();
  const problems: FileInfo[] = [];
  const interrupted: FileInfo[] = [];
  let bytes = 0;
  let readings = 0;
  for (let i = 0; i < files.length; i++) {
    let comp: ComponentStats | undefined;
    const info = await inspectFile(dir, files[i]!, (rec, h) => {
      if (comp === undefined) {
        const name = `${h.meta.component_type}/${h.meta.component_name}/${h.meta.method_name}`;
        comp = comps.get(name) ?? {
          component: name,
          files: 0,
          readings: 0,
          gaps: 0,
          missing: 0,
          first: null,
          last: null,
          lateMs: null,
        };
        comps.set(name, comp);
      }
      if (rec.kind === 'gap') {
        comp.gaps++;
        comp.missing += rec.count;
        const g = reasons.get(rec.reason) ?? { reason: rec.reason, records: 0, missing: 0 };
        g.records++;
        g.missing += rec.count;
        reasons.set(rec.reason, g);
      } else {
        comp.readings++;
        const late = rec.time_received - rec.time_requested;
        const l = (comp.lateMs ??= { mean: 0, max: -Infinity });
        l.mean += (late - l.mean) / comp.readings;
        if (late > l.max) l.max = late;
      }
    });
    states[info.state]++;
    bytes += info.bytes;
    readings += info.readings;
    if (comp !== undefined) {
      comp.files++;
      if (info.first !== null && (comp.first === null || info.first < comp.first))
        comp.first = info.first;
      if (info.last !== null && (comp.last === null || info.last > comp.last))
        comp.last = info.last;
    }
    if (isProblem(info)) problems.push(info);
    else if (info.state === 'writing' && info.problem !== null) interrupted.push(info);
    onProgress?.(i + 1, files.length);
  }
  return {
    files: states,
    bytes,
    readings,
    components: [...comps.values()].sort((a, b) => a.component.localeCompare(b.component)),
    gapsByReason: [...reasons.values()].sort((a, b) => b.records - a.records),
    problems,
    interrupted,
  };
}
