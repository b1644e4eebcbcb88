/**
 * A file's records into the PostgreSQL store with COPY … FROM STDIN (text format): the cheapest
 * insert path PostgreSQL has (no per-row statement, no bind parameters). Runs inside the ingest
 * transaction, so the rows commit with the file's claim or not at all.
 *
 * Text format: columns separated by TAB, rows by LF, backslash escapes. JSON.stringify never emits
 * a raw control character (it writes \n, \t, \u0000 …), so the only byte to escape in the JSON is
 * the backslash itself; numbers print as JavaScript writes them (shortest round-trip form).
 */
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { CaptureRecord } from '../../shared/record.js';
import { recordData, recordTimes } from './common.js';

/** Rows per COPY write (one string of ≈ 100 bytes per row). */
const CHUNK = 4000;

const escapeText = (s: string): string => (s.includes('\\') ? s.replaceAll('\\', '\\\\') : s);

/** The COPY text of records[from, to) (with explicit ids when `ids` is given). */
export function copyText(
  seq: string,
  streamId: string,
  records: readonly CaptureRecord[],
  from: number,
  to: number,
  ids: readonly string[] | null,
): string {
  const lines: string[] = new Array<string>(to - from);
  for (let i = from; i < to; i++) {
    const rec = records[i]!;
    const [tq, tr] = recordTimes(rec);
    const head = ids === null ? '' : `${ids[i]}\t`;
    lines[i - from] =
      `${head}${seq}\t${i}\t${streamId}\t${rec.kind}\t${tq}\t${tr}\t${escapeText(JSON.stringify(recordData(rec)))}\n`;
  }
  return lines.join('');
}

/** One file's part of a COPY: its claim (seq), stream, records and (for images) record ids. */
export interface CopyPart {
  seq: string;
  streamId: string;
  records: readonly CaptureRecord[];
  ids: readonly string[] | null;
}

/**
 * COPYs the records of several files in one statement; files with explicit ids (images) and
 * without go in two statements (COPY names its columns once).
 */
export async function copyRecords(c: pg.PoolClient, parts: readonly CopyPart[]): Promise<void> {
  for (const withIds of [false, true]) {
    const mine = parts.filter((p) => (p.ids !== null) === withIds && p.records.length > 0);
    if (mine.length === 0) continue;
    const cols = `${withIds ? 'id, ' : ''}file_seq, record_index, stream_id, kind, time_requested, time_received, data`;
    const stream = c.query(copyStreams.from(`COPY records (${cols}) FROM STDIN`));
    const done = finished(stream);
    try {
      for (const p of mine)
        for (let from = 0; from < p.records.length; from += CHUNK) {
          const to = Math.min(from + CHUNK, p.records.length);
          const text = copyText(p.seq, p.streamId, p.records, from, to, p.ids);
          if (!stream.write(text)) await Promise.race([once(stream, 'drain'), done]);
        }
    } finally {
      stream.end();
    }
    await done;
  }
}

/** `n` fresh record ids from the records sequence (only for files that carry images). */
export async function allocateIds(c: pg.PoolClient, n: number): Promise<string[]> {
  const r = await c.query<{ id: string }>(
    "SELECT nextval('records_id_seq')::text AS id FROM generate_series(1, $1)",
    [n],
  );
  return r.rows.map((x) => x.id);
}
