/**
 * Accounting for records the FileCaptureStore had to refuse because its in-memory backlog was
 * full (the disk kept failing). Refused readings and the readings behind refused gap records are
 * summed into one `backlog_overflow` gap per stream, written as soon as there is room again.
 */
import type { CaptureRecord, GapRecord } from '../shared/record.js';
import { recordSpan } from './file-format.js';

export interface Refused {
  /** Readings lost: refused readings plus the `count` of refused gap records. */
  count: number;
  records: number;
  start: number;
  end: number;
}

export function refuse(prev: Refused | null, rec: CaptureRecord): Refused {
  const { start, end } = recordSpan(rec);
  const n = rec.kind === 'reading' ? 1 : rec.count;
  if (prev === null) return { count: n, records: 1, start, end };
  prev.count += n;
  prev.records++;
  prev.start = Math.min(prev.start, start);
  prev.end = Math.max(prev.end, end);
  return prev;
}

export function overflowGap(
  r: Refused,
  maxPendingBytes: number,
  lastError: string | null,
): GapRecord {
  return {
    kind: 'gap',
    reason: 'backlog_overflow',
    start: r.start,
    end: r.end,
    count: r.count,
    detail: `capture write backlog exceeded ${maxPendingBytes} bytes while disk writes failed (${lastError ?? 'unknown error'}); ${r.records} records in this span were refused`,
  };
}
