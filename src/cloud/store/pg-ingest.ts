/**
 * Ingest into the PostgreSQL store with group commit: files that arrive while a transaction is
 * running wait and then go together — one transaction, one multi-row claim of their file ids,
 * one COPY of all their records, one COMMIT (durable: synchronous_commit=on). Each file's promise
 * resolves only after that COMMIT; a file whose id is already stored (by this or another replica,
 * even one committing at the same moment: ON CONFLICT waits for it) is answered `already_stored`.
 * When a group fails, each of its files is retried on its own, so one bad file never fails another.
 *
 * Several groups run at once (`lanes`, one pooled connection each). File ids are claimed in sorted
 * order, so two groups with overlapping ids cannot deadlock each other on the claims.
 */
import type pg from 'pg';
import { WharfError, errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { addPgImages } from '../images/postgres-images.js';
import { imagesOf } from '../images/images-of.js';
import type { IngestImage } from '../images/contract.js';
import { recordTimes, streamKey } from './common.js';
import type { IngestFile, IngestResult } from './contract.js';
import { allocateIds, copyRecords, type CopyPart } from './pg-copy.js';
import { dayOf, type PgPartitions } from './pg-partitions.js';

export interface PgIngestOptions {
  /** Groups in flight at once (each holds one connection). Default 4. */
  lanes?: number;
  /** A group stops taking files past this many records (default 50,000) or files (default 64). */
  maxRecords?: number;
  maxFiles?: number;
}

interface Pending {
  file: IngestFile;
  resolve: (r: IngestResult) => void;
  reject: (e: WharfError) => void;
}

const wrap = (f: IngestFile, err: unknown): WharfError =>
  err instanceof WharfError
    ? err
    : new WharfError(
        'CLOUD_STORE',
        `storing file ${f.file_id} failed, nothing was stored: ${errorMessage(err)}`,
        { cause: err },
      );

export class PgIngest {
  private readonly pending: Pending[] = [];
  private running = 0;
  /** Stream key → id; streams are never deleted, so a known id stays right. */
  private readonly streamIds = new Map<string, string>();
  private readonly lanes: number;
  private readonly maxRecords: number;
  private readonly maxFiles: number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly partitions: PgPartitions,
    private readonly logger: Logger,
    opts: PgIngestOptions = {},
  ) {
    this.lanes = opts.lanes ?? 4;
    this.maxRecords = opts.maxRecords ?? 50_000;
    this.maxFiles = opts.maxFiles ?? 64;
  }

  ingest(file: IngestFile): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ file, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    while (this.running < this.lanes && this.pending.length > 0) {
      let n = 0;
      let records = 0;
      while (
        n < this.pending.length &&
        n < this.maxFiles &&
        (n === 0 || records + this.pending[n]!.file.records.length <= this.maxRecords)
      )
        records += this.pending[n++]!.file.records.length;
      const group = this.pending.splice(0, n);
      this.running++;
      void this.runGroup(group).finally(() => {
        this.running--;
        this.kick();
      });
    }
  }

  private async runGroup(group: Pending[]): Promise<void> {
    try {
      const results = await this.store(group.map((p) => p.file));
      group.forEach((p, i) => {
        const r = results[i]!;
        if (r instanceof WharfError) p.reject(r);
        else p.resolve(r);
      });
    } catch (err) {
      if (group.length === 1) {
        group[0]!.reject(wrap(group[0]!.file, err));
        return;
      }
      this.logger.debug(
        { files: group.length, err: errorMessage(err) },
        'group ingest failed; storing its files one by one',
      );
      for (const p of group)
        await this.store([p.file]).then(
          ([r]) => (r instanceof WharfError ? p.reject(r) : p.resolve(r!)),
          (e: unknown) => p.reject(wrap(p.file, e)),
        );
    }
  }

  /** Stores files in one transaction; the result (or refusal) of each, in order. */
  private async store(files: IngestFile[]): Promise<(IngestResult | WharfError)[]> {
    const days = new Set<number>();
    for (const f of files) for (const rec of f.records) days.add(dayOf(recordTimes(rec)[1]));
    await this.partitions.ensure(days);
    // one claim per file id: a second upload of the same file in this group waits for the first
    const order = [...new Set(files.map((f) => f.file_id))].sort();
    const first = new Map<string, IngestFile>();
    const firstIndex = new Map<string, number>();
    files.forEach((f, i) => {
      if (first.has(f.file_id)) return;
      first.set(f.file_id, f);
      firstIndex.set(f.file_id, i);
    });
    const c = await this.pool.connect();
    let newStreams: [string, string][] = [];
    try {
      await c.query('BEGIN');
      const now = Date.now();
      const claimed = await c.query<{ file_id: string; seq: string }>(
        `INSERT INTO files (file_id, sha256, machine, bytes, records, received_ms)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::float8[])
         ON CONFLICT (file_id) DO NOTHING RETURNING file_id, seq`,
        [
          order,
          order.map((id) => first.get(id)!.sha256),
          order.map((id) => first.get(id)!.meta.machine),
          order.map((id) => first.get(id)!.bytes),
          order.map((id) => first.get(id)!.records.length),
          order.map(() => now),
        ],
      );
      const seqOf = new Map(claimed.rows.map((r) => [r.file_id, r.seq]));
      const sids = await this.streamIdsOf(
        c,
        [...seqOf.keys()].map((id) => first.get(id)!),
      );
      newStreams = [...sids];
      const parts: (CopyPart & { images: IngestImage[] })[] = [];
      for (const [id, seq] of seqOf) {
        const f = first.get(id)!;
        const images = imagesOf(f.records);
        parts.push({
          seq,
          streamId: sids.get(streamKey(f.meta))!,
          records: f.records,
          ids: images.length > 0 ? await allocateIds(c, f.records.length) : null,
          images,
        });
      }
      await copyRecords(c, parts);
      for (const p of parts) if (p.ids !== null) await addPgImages(c, p.ids, p.streamId, p.images);
      // files of this group already stored (before, or by another replica just now)
      const others = order.filter((id) => !seqOf.has(id));
      const existing = new Map<string, { sha256: string; records: number }>();
      if (others.length > 0)
        for (const r of (
          await c.query<{ file_id: string; sha256: string; records: number }>(
            'SELECT file_id, sha256, records FROM files WHERE file_id = ANY($1::text[])',
            [others],
          )
        ).rows)
          existing.set(r.file_id, r);
      await c.query('COMMIT');
      for (const [k, v] of newStreams) this.streamIds.set(k, v);
      return files.map((f, i): IngestResult | WharfError => {
        const mine = seqOf.has(f.file_id);
        if (mine && firstIndex.get(f.file_id) === i)
          return { status: 'stored', records: f.records.length };
        const e = mine
          ? { sha256: first.get(f.file_id)!.sha256, records: first.get(f.file_id)!.records.length }
          : existing.get(f.file_id);
        if (e === undefined)
          return new WharfError('CLOUD_STORE', `file ${f.file_id} vanished during ingest`);
        if (e.sha256 !== f.sha256)
          return new WharfError(
            'CLOUD_BAD_REQUEST',
            `file ${f.file_id} was already stored with different content (sha256 ${e.sha256.slice(0, 12)}…); a file id must never be reused`,
          );
        return { status: 'already_stored', records: Number(e.records) };
      });
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** Stream ids of the files' headers, creating unknown streams (ON CONFLICT: replicas race). */
  private async streamIdsOf(c: pg.PoolClient, files: IngestFile[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of files) {
      const key = streamKey(f.meta);
      if (out.has(key)) continue;
      const known = this.streamIds.get(key);
      if (known !== undefined) {
        out.set(key, known);
        continue;
      }
      const m = f.meta;
      await c.query(
        'INSERT INTO streams (key, part_id, machine, component_type, component_name, method_name, tags, additional_parameters) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING',
        [
          key,
          m.part_id,
          m.machine,
          m.component_type,
          m.component_name,
          m.method_name,
          JSON.stringify(m.tags),
          JSON.stringify(m.additional_parameters),
        ],
      );
      out.set(
        key,
        (await c.query<{ id: string }>('SELECT id FROM streams WHERE key = $1', [key])).rows[0]!.id,
      );
    }
    return out;
  }
}
