/**
 * Retention on SQLite (contract.ts): row deletes in bounded batches (20,000 records, or 200 chunks
 * of readings (sqlite-chunks.ts), a transaction, yielding to the event loop between batches so
 * ingest goes on), the per-minute rollup cut at the same whole minute, image rows deleted and
 * their blob files removed once no image names them. Each batch writes its `retention_events` row
 * in the transaction of the delete.
 */
import type Database from 'better-sqlite3';
import type { BlobStore } from '../images/blobs.js';
import { ROLLUP_MS } from '../store/sqlite-rollup.js';
import { cutChunks } from '../store/sqlite-chunks.js';
import {
  cutoffOf,
  type RetentionEvent,
  type RetentionPolicy,
  type RetentionStore,
} from './contract.js';

const BATCH = 20_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS retention_policies (
  machine TEXT PRIMARY KEY,
  days INTEGER NOT NULL CHECK (days >= 1),
  updated_ms REAL NOT NULL,
  author TEXT
);
CREATE TABLE IF NOT EXISTS retention_events (
  id INTEGER PRIMARY KEY,
  at_ms REAL NOT NULL,
  machine TEXT NOT NULL,
  days INTEGER NOT NULL,
  cutoff_ms REAL NOT NULL,
  how TEXT NOT NULL,
  partition TEXT,
  readings INTEGER NOT NULL,
  gaps INTEGER NOT NULL,
  images INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS images_sha ON images (sha256);
`;

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export class SqliteRetention implements RetentionStore {
  private running = false;

  constructor(
    private readonly db: Database.Database,
    private readonly blobs: BlobStore,
  ) {
    db.exec(SCHEMA);
  }

  async setPolicy(machine: string, days: number | null, author: string | null): Promise<void> {
    if (days === null)
      this.db.prepare('DELETE FROM retention_policies WHERE machine = ?').run(machine);
    else
      this.db
        .prepare(
          `INSERT INTO retention_policies (machine, days, updated_ms, author) VALUES (?, ?, ?, ?)
           ON CONFLICT (machine) DO UPDATE SET days = excluded.days, updated_ms = excluded.updated_ms, author = excluded.author`,
        )
        .run(machine, days, Date.now(), author);
  }

  async policies(): Promise<RetentionPolicy[]> {
    return this.db
      .prepare<[], RetentionPolicy>(
        'SELECT machine, days, updated_ms, author FROM retention_policies ORDER BY machine',
      )
      .all();
  }

  async events(limit: number): Promise<RetentionEvent[]> {
    return this.db
      .prepare<[number], RetentionEvent>(
        'SELECT at_ms, machine, days, cutoff_ms, how, partition, readings, gaps, images FROM retention_events ORDER BY at_ms DESC, id DESC LIMIT ?',
      )
      .all(Math.max(1, Math.min(10_000, Math.floor(limit))));
  }

  async enforce(now = Date.now()): Promise<RetentionEvent[]> {
    if (this.running) return [];
    this.running = true;
    try {
      const events: RetentionEvent[] = [];
      for (const p of await this.policies()) {
        const ids = this.db
          .prepare<[string], { id: number }>('SELECT id FROM streams WHERE machine = ?')
          .all(p.machine)
          .map((r) => r.id);
        if (ids.length === 0) continue;
        const ev = await this.enforceMachine(p, ids, cutoffOf(now, p.days), now);
        if (ev !== null) events.push(ev);
      }
      return events;
    } finally {
      this.running = false;
    }
  }

  private async enforceMachine(
    p: RetentionPolicy,
    ids: number[],
    cutoff: number,
    now: number,
  ): Promise<RetentionEvent | null> {
    const db = this.db;
    const inIds = `(${ids.map(() => '?').join(', ')})`;
    const delRecords = db.prepare<unknown[], { kind: string }>(
      `DELETE FROM records WHERE id IN (SELECT id FROM records WHERE stream_id IN ${inIds} AND time_received < ? LIMIT ${BATCH}) RETURNING kind`,
    );
    const delRollup = db.prepare(
      `DELETE FROM rollup_1m WHERE stream_id IN ${inIds} AND minute < ?`,
    );
    const delImages = db.prepare<unknown[], { sha256: string }>(
      `DELETE FROM images WHERE stream_id IN ${inIds} AND time_received < ? RETURNING sha256`,
    );
    const named = db.prepare<[string], { one: number }>(
      'SELECT 1 AS one FROM images WHERE sha256 = ? LIMIT 1',
    );
    const insertEvent = db.prepare(
      `INSERT INTO retention_events (at_ms, machine, days, cutoff_ms, how, partition, readings, gaps, images)
       VALUES (?, ?, ?, ?, 'delete_rows', NULL, ?, ?, ?)`,
    );
    const total: RetentionEvent = {
      at_ms: now,
      machine: p.machine,
      days: p.days,
      cutoff_ms: cutoff,
      how: 'delete_rows',
      partition: null,
      readings: 0,
      gaps: 0,
      images: 0,
    };
    for (;;) {
      const n = db.transaction(() => {
        const rows = delRecords.all(...ids, cutoff);
        const gaps = rows.filter((r) => r.kind === 'gap').length;
        const readings = rows.length - gaps;
        if (rows.length > 0) insertEvent.run(now, p.machine, p.days, cutoff, readings, gaps, 0);
        total.readings += readings;
        total.gaps += gaps;
        return rows.length;
      })();
      if (n < BATCH) break;
      await tick();
    }
    for (;;) {
      const more = db.transaction(() => {
        const cut = cutChunks(db, ids, cutoff);
        if (cut.readings > 0) insertEvent.run(now, p.machine, p.days, cutoff, cut.readings, 0, 0);
        total.readings += cut.readings;
        return cut.more;
      })();
      if (!more) break;
      await tick();
    }
    // the rollup, the images and their blob files in one synchronous step: no ingest runs in
    // between, so a blob an ingest has just reused cannot be removed under it. The files go after
    // the commit: a crash between leaves a file no row names, never a row naming a missing file.
    const gone = db.transaction(() => {
      delRollup.run(...ids, Math.floor(cutoff / ROLLUP_MS));
      const rows = delImages.all(...ids, cutoff);
      if (rows.length > 0) insertEvent.run(now, p.machine, p.days, cutoff, 0, 0, rows.length);
      return rows;
    })();
    total.images = gone.length;
    for (const sha of new Set(gone.map((g) => g.sha256)))
      if (named.get(sha) === undefined) this.blobs.remove(sha);
    return total.readings + total.gaps + total.images > 0 ? total : null;
  }
}
