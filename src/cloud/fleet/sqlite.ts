/**
 * The fleet store on SQLite: its own connection to the cloud's database file (WAL, synchronous
 * FULL), tables prefixed `fleet_` (the read-only SQL route cannot read them: machine configs hold
 * board secrets).
 */
import type Database from 'better-sqlite3';
import { openSqlite } from '../store/sqlite-driver.js';
import { WharfError } from '../../shared/errors.js';
import type {
  FleetStore,
  FragmentInfo,
  FragmentRevision,
  MachineConfigRow,
  MachineReport,
} from './contract.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fleet_fragments (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms REAL NOT NULL, head INTEGER NOT NULL,
  updated_ms REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_fragment_revisions (
  fragment_id TEXT NOT NULL REFERENCES fleet_fragments(id), revision INTEGER NOT NULL,
  config TEXT NOT NULL, created_ms REAL NOT NULL, author TEXT,
  PRIMARY KEY (fragment_id, revision));
CREATE TABLE IF NOT EXISTS fleet_fragment_tags (
  fragment_id TEXT NOT NULL REFERENCES fleet_fragments(id), tag TEXT NOT NULL,
  revision INTEGER NOT NULL, updated_ms REAL NOT NULL, PRIMARY KEY (fragment_id, tag));
CREATE TABLE IF NOT EXISTS fleet_machine_configs (
  machine TEXT NOT NULL, revision INTEGER NOT NULL, config TEXT NOT NULL,
  updated_ms REAL NOT NULL, author TEXT, PRIMARY KEY (machine, revision));
CREATE TABLE IF NOT EXISTS fleet_reports (machine TEXT PRIMARY KEY, report TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_admins (key_id TEXT PRIMARY KEY, created_ms REAL NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_seq (one INTEGER PRIMARY KEY CHECK (one = 1), seq INTEGER NOT NULL);
INSERT OR IGNORE INTO fleet_seq VALUES (1, 0);
`;

interface FragRow {
  id: string;
  name: string;
  created_ms: number;
  head: number;
  updated_ms: number;
}
interface RevRow {
  fragment_id: string;
  revision: number;
  config: string;
  created_ms: number;
  author: string | null;
}
interface MachRow {
  machine: string;
  revision: number;
  config: string;
  updated_ms: number;
  author: string | null;
}

export class SqliteFleetStore implements FleetStore {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = openSqlite(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  private bump(): void {
    this.db.prepare('UPDATE fleet_seq SET seq = seq + 1 WHERE one = 1').run();
  }

  private tagsOf(id: string): Record<string, number> {
    const rows = this.db
      .prepare('SELECT tag, revision FROM fleet_fragment_tags WHERE fragment_id = ? ORDER BY tag')
      .all(id) as { tag: string; revision: number }[];
    return Object.fromEntries(rows.map((r) => [r.tag, r.revision]));
  }

  private info(r: FragRow): FragmentInfo {
    return { ...r, tags: this.tagsOf(r.id) };
  }

  async createFragment(
    id: string,
    name: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<FragmentInfo> {
    const now = Date.now();
    this.db.transaction(() => {
      const exists = this.db.prepare('SELECT 1 FROM fleet_fragments WHERE id = ?').get(id);
      if (exists !== undefined)
        throw new WharfError('CLOUD_BAD_REQUEST', `fragment "${id}" exists already`);
      this.db.prepare('INSERT INTO fleet_fragments VALUES (?, ?, ?, 1, ?)').run(id, name, now, now);
      this.db
        .prepare('INSERT INTO fleet_fragment_revisions VALUES (?, 1, ?, ?, ?)')
        .run(id, JSON.stringify(config), now, author);
      this.bump();
    })();
    return (await this.fragment(id))!;
  }

  async updateFragment(
    id: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<number> {
    const now = Date.now();
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT head FROM fleet_fragments WHERE id = ?').get(id) as
        { head: number } | undefined;
      if (row === undefined) throw notFound(`fragment "${id}"`);
      const rev = row.head + 1;
      this.db
        .prepare('INSERT INTO fleet_fragment_revisions VALUES (?, ?, ?, ?, ?)')
        .run(id, rev, JSON.stringify(config), now, author);
      this.db
        .prepare('UPDATE fleet_fragments SET head = ?, updated_ms = ? WHERE id = ?')
        .run(rev, now, id);
      this.bump();
      return rev;
    })();
  }

  async tagFragment(id: string, tag: string, revision: number): Promise<void> {
    this.db.transaction(() => {
      const r = this.db
        .prepare('SELECT 1 FROM fleet_fragment_revisions WHERE fragment_id = ? AND revision = ?')
        .get(id, revision);
      if (r === undefined) throw notFound(`revision ${revision} of fragment "${id}"`);
      this.db
        .prepare(
          `INSERT INTO fleet_fragment_tags VALUES (?, ?, ?, ?)
           ON CONFLICT (fragment_id, tag) DO UPDATE SET revision = excluded.revision, updated_ms = excluded.updated_ms`,
        )
        .run(id, tag, revision, Date.now());
      this.bump();
    })();
  }

  async fragment(id: string): Promise<FragmentInfo | null> {
    const r = this.db.prepare('SELECT * FROM fleet_fragments WHERE id = ?').get(id) as
      FragRow | undefined;
    return r === undefined ? null : this.info(r);
  }

  async listFragments(limit: number): Promise<FragmentInfo[]> {
    const rows = this.db
      .prepare('SELECT * FROM fleet_fragments ORDER BY id LIMIT ?')
      .all(limit) as FragRow[];
    return rows.map((r) => this.info(r));
  }

  async revision(id: string, revision: number): Promise<FragmentRevision | null> {
    const r = this.db
      .prepare('SELECT * FROM fleet_fragment_revisions WHERE fragment_id = ? AND revision = ?')
      .get(id, revision) as RevRow | undefined;
    return r === undefined ? null : rev(r);
  }

  async history(id: string, limit: number): Promise<FragmentRevision[]> {
    const rows = this.db
      .prepare(
        'SELECT * FROM fleet_fragment_revisions WHERE fragment_id = ? ORDER BY revision DESC LIMIT ?',
      )
      .all(id, limit) as RevRow[];
    return rows.map(rev);
  }

  async setMachineConfig(
    machine: string,
    config: Record<string, unknown>,
    author: string | null,
  ): Promise<number> {
    return this.db.transaction(() => {
      const r = this.db
        .prepare('SELECT max(revision) AS n FROM fleet_machine_configs WHERE machine = ?')
        .get(machine) as { n: number | null };
      const next = (r.n ?? 0) + 1;
      this.db
        .prepare('INSERT INTO fleet_machine_configs VALUES (?, ?, ?, ?, ?)')
        .run(machine, next, JSON.stringify(config), Date.now(), author);
      this.bump();
      return next;
    })();
  }

  async machineConfig(machine: string): Promise<MachineConfigRow | null> {
    const r = this.db
      .prepare(
        'SELECT * FROM fleet_machine_configs WHERE machine = ? ORDER BY revision DESC LIMIT 1',
      )
      .get(machine) as MachRow | undefined;
    return r === undefined ? null : mach(r);
  }

  async listMachineConfigs(limit: number): Promise<MachineConfigRow[]> {
    const rows = this.db
      .prepare(
        `SELECT c.* FROM fleet_machine_configs c
         JOIN (SELECT machine, max(revision) AS revision FROM fleet_machine_configs GROUP BY machine) m
           ON m.machine = c.machine AND m.revision = c.revision
         ORDER BY c.machine LIMIT ?`,
      )
      .all(limit) as MachRow[];
    return rows.map(mach);
  }

  async report(r: MachineReport): Promise<void> {
    this.db
      .prepare(
        'INSERT INTO fleet_reports VALUES (?, ?) ON CONFLICT (machine) DO UPDATE SET report = excluded.report',
      )
      .run(r.machine, JSON.stringify(r));
  }

  async reports(limit: number): Promise<MachineReport[]> {
    const rows = this.db
      .prepare('SELECT report FROM fleet_reports ORDER BY machine LIMIT ?')
      .all(limit) as { report: string }[];
    return rows.map((x) => JSON.parse(x.report) as MachineReport);
  }

  async grantAdmin(keyId: string): Promise<void> {
    this.db.prepare('INSERT OR IGNORE INTO fleet_admins VALUES (?, ?)').run(keyId, Date.now());
  }

  async isAdmin(keyId: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM fleet_admins WHERE key_id = ?').get(keyId) !== undefined;
  }

  async seq(): Promise<number> {
    return (this.db.prepare('SELECT seq FROM fleet_seq').get() as { seq: number }).seq;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function rev(r: RevRow): FragmentRevision {
  return { ...r, config: JSON.parse(r.config) as Record<string, unknown> };
}

function mach(r: MachRow): MachineConfigRow {
  return { ...r, config: JSON.parse(r.config) as Record<string, unknown> };
}

export function notFound(what: string): WharfError {
  return new WharfError('CLOUD_NOT_FOUND', `${what} does not exist`);
}
