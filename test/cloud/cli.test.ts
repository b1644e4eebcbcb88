/** `wharf cloud keys`, `wharf query` and `wharf cloud export` as a user runs them (in-process CLI). */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type TestCloud } from './cloud-helper.js';
import { meta, readings } from './fixtures.js';
import { progressBar } from '../../src/cloud/progress.js';
import { ingestFile } from './store-contract.js';
import { runCli, type CliResult } from '../helpers/cli.js';

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(args, { HOME: tmpdir(), ...env }, tmpdir());
}

describe('progress bar', () => {
  it('redraws one line on a terminal with percentage and rate, at most every 100 ms', () => {
    let out = '';
    const sink = new PassThrough();
    sink.on('data', (d: Buffer) => (out += d.toString()));
    let now = 0;
    const bar = progressBar(sink, true, 'exporting', 'rows', () => now);
    now = 1000;
    bar.update(500, 1000);
    now = 1050;
    bar.update(600, 1000); // too soon: not drawn
    now = 2000;
    bar.update(1000, 1000);
    bar.finish('exported 1000 rows');
    sink.end();
    const frames = out.split('\r').filter((f) => f !== '');
    expect(frames).toHaveLength(3);
    expect(frames[0]).toMatch(/^exporting \[#{15}\.{15}\] {2}50% 500\/1000 rows 500 rows\/s/);
    expect(frames[1]).toMatch(/100% 1000\/1000 rows 500 rows\/s/);
    expect(frames[2]).toBe('exported 1000 rows\x1b[K\n');
  });
});

describe('wharf cloud keys', () => {
  it('creates (printing the key once), lists and revokes keys in a store file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-keys-'));
    const db = join(dir, 'cloud.db');
    try {
      const c = await run([
        'cloud',
        'keys',
        'create',
        '--machine',
        'line-3',
        '--label',
        'line three',
        '--db',
        db,
      ]);
      expect(c.code).toBe(0);
      const key = c.out.trim();
      expect(key).toMatch(/^wharf_[0-9a-f]{12}_[A-Za-z0-9_-]+$/);
      expect(c.err).toContain("for machine 'line-3' created");
      expect(readFileSync(db).includes(Buffer.from(key.slice(19)))).toBe(false);
      const l = await run(['cloud', 'keys', 'list', '--db', db]);
      const id = key.slice(6, 18);
      expect(l.out).toMatch(new RegExp(`^${id}  line-3 .* active +line three$`, 'm'));
      expect(l.out).not.toContain(key);
      expect((await run(['cloud', 'keys', 'create', '--db', db])).code).toBe(1);
      expect((await run(['cloud', 'keys', 'revoke', id, '--db', db])).out).toBe(
        `key ${id} revoked\n`,
      );
      expect((await run(['cloud', 'keys', 'list', '--db', db])).out).toMatch(/revoked/);
      expect((await run(['cloud', 'keys', 'revoke', id, '--db', db])).code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('wharf query and wharf cloud export against a running cloud', () => {
  let cloud: TestCloud;
  let key: string;
  let dir: string;
  beforeAll(async () => {
    cloud = await startCloud('sqlite');
    key = (await cloud.store.createKey(null)).key;
    await cloud.store.ingest(ingestFile(meta(), readings(1200)));
    await cloud.store.ingest(
      ingestFile(meta({ machine: 'machine-b' }), [
        { kind: 'gap', reason: 'timeout', start: 5, end: 9, count: 2 },
      ]),
    );
    dir = mkdtempSync(join(tmpdir(), 'wharf-cli-export-'));
  });
  afterAll(async () => {
    await cloud.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists filtered rows newest first, and runs read-only SQL', async () => {
    const q = await run(['query', '--url', cloud.url, '--machine', 'machine-a', '--limit', '2'], {
      WHARF_API_KEY: key,
    });
    expect(q.code).toBe(0);
    expect(q.out.trim().split('\n')).toHaveLength(2);
    expect(q.out).toContain('machine-a/esp-1 Analogs {"a0":{"value":1199');
    const gaps = await run(['query', '--url', cloud.url, '--key', key, '--kind', 'gap', '--json']);
    expect(JSON.parse(gaps.out)).toMatchObject({
      kind: 'gap',
      machine: 'machine-b',
      data: { reason: 'timeout' },
    });
    const sql = await run([
      'query',
      '--url',
      cloud.url,
      '--key',
      key,
      '--sql',
      'SELECT machine, count(*) AS n FROM readings GROUP BY machine ORDER BY machine',
    ]);
    expect(sql.out).toBe('machine\tn\nmachine-a\t1200\nmachine-b\t1\n');
    const bad = await run([
      'query',
      '--url',
      cloud.url,
      '--key',
      key,
      '--sql',
      'DROP TABLE records',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('SQL refused');
  });

  it('says what is missing or wrong: no key, a wrong key, an unreachable cloud', async () => {
    expect((await run(['query', '--url', cloud.url])).err).toContain('no API key');
    expect(
      (
        await run([
          'query',
          '--url',
          cloud.url,
          '--key',
          'wharf_000000000000_xxxxxxxxxxxxxxxxxxxxxxxx',
        ])
      ).err,
    ).toContain('401');
    expect((await run(['query', '--url', 'http://127.0.0.1:1', '--key', key])).err).toContain(
      'cannot reach the cloud',
    );
  });

  it('exports to a file with progress lines, CSV and Parquet, filters or SQL', async () => {
    const csv = join(dir, 'a.csv');
    const r = await run([
      'cloud',
      'export',
      '--url',
      cloud.url,
      '--key',
      key,
      '--format',
      'csv',
      '--out',
      csv,
      '--machine',
      'machine-a',
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/exported 1200 rows, [\d.]+ KiB to .*a\.csv/);
    expect(readFileSync(csv, 'utf8').trimEnd().split('\n')).toHaveLength(1201);
    expect(existsSync(`${csv}.part`)).toBe(false);
    const pq = join(dir, 'a.parquet');
    expect(
      (await run(['query', '--url', cloud.url, '--key', key, '--export', 'parquet', '--out', pq]))
        .code,
    ).toBe(0);
    expect(readFileSync(pq).subarray(0, 4).toString()).toBe('PAR1');
    const jl = join(dir, 'q.jsonl');
    await run([
      'query',
      '--url',
      cloud.url,
      '--key',
      key,
      '--sql',
      'SELECT kind, count(*) AS n FROM readings GROUP BY kind ORDER BY kind',
      '--export',
      'jsonl',
      '--out',
      jl,
    ]);
    expect(readFileSync(jl, 'utf8')).toBe('{"kind":"gap","n":1}\n{"kind":"reading","n":1200}\n');
  });
});

describe('wharf cloud export of a runaway SQL statement', () => {
  let cloud: TestCloud;
  let dir: string;
  beforeAll(async () => {
    cloud = await startCloud('sqlite', { sqlTimeoutMs: 2000 });
    dir = mkdtempSync(join(tmpdir(), 'wharf-cli-runaway-'));
  });
  afterAll(async () => {
    await cloud.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.for(['csv', 'jsonl'])(
    'fails (%s) with the reason the server gave, and leaves no file',
    { timeout: 60_000 },
    async (format) => {
      const key = (await cloud.store.createKey(null)).key;
      const out = join(dir, `runaway.${format}`);
      const r = await run([
        'cloud',
        'export',
        '--url',
        cloud.url,
        '--key',
        key,
        '--format',
        format,
        '--out',
        out,
        '--sql',
        'with recursive r(n) as (select 1 union all select n+1 from r) select n from r',
      ]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /export stopped after .*: (CLOUD_SQL_LIMIT: the result has more than 1000000 rows|CLOUD_SQL_REFUSED: SQL statement timeout)/,
      );
      expect(existsSync(out)).toBe(false);
      expect(existsSync(`${out}.part`)).toBe(false);
    },
  );
});

describe('wharf cloud serve and its session secret', () => {
  it('refuses a guessable WHARF_SESSION_SECRET (it signs every login cookie) without printing it', async () => {
    const home = mkdtempSync(join(tmpdir(), 'wharf-secret-'));
    try {
      const r = await runCli(
        ['cloud', 'serve', '--port', '0', '--no-ui'],
        { WHARF_HOME: home, WHARF_SESSION_SECRET: 'hunter2hunter2' },
        home,
      );
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/WHARF_SESSION_SECRET is too short \(14 characters; at least 32\)/);
      expect(r.err).toContain('openssl rand -hex 32');
      expect(r.out + r.err).not.toContain('hunter2');
      // nothing was opened or served
      expect(r.out).not.toMatch(/serving/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('--secure-cookies marks the login cookie Secure (a cloud behind HTTPS); without it the cookie works over plain HTTP', async () => {
    const home = mkdtempSync(join(tmpdir(), 'wharf-cookie-'));
    const bin = resolve(fileURLToPath(import.meta.url), '../../../bin/wharf.mjs');
    try {
      const db = join(home, 'cloud.db');
      const created = await runCli(
        ['cloud', 'keys', 'create', '--read-only', '--db', db],
        {},
        home,
      );
      expect(created.code).toBe(0);
      const key = created.out.trim();
      for (const secure of [true, false]) {
        const proc = spawn(
          process.execPath,
          [
            bin,
            'cloud',
            'serve',
            '--port',
            '0',
            '--no-ui',
            '--db',
            db,
            ...(secure ? ['--secure-cookies'] : []),
          ],
          { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WHARF_HOME: home } },
        );
        let out = '';
        proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
        proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
        try {
          const until = Date.now() + 30_000;
          let url: string | undefined;
          while ((url = /serving \w+ store at (http:\/\/\S+)/.exec(out)?.[1]) === undefined) {
            if (Date.now() > until || proc.exitCode !== null) throw new Error(`no cloud:\n${out}`);
            await new Promise((r) => setTimeout(r, 25));
          }
          const res = await fetch(`${url}/api/v1/session`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ api_key: key }),
          });
          expect(res.status).toBe(200);
          const cookie = res.headers.get('set-cookie') ?? '';
          expect(cookie).toMatch(/^wharf_session=.+; HttpOnly; SameSite=Strict/);
          expect(/; Secure(;|$)/.test(cookie), `secure=${secure}: ${cookie}`).toBe(secure);
          proc.kill('SIGTERM');
          expect(await exited).toBe(0);
        } finally {
          if (proc.exitCode === null) proc.kill('SIGKILL');
        }
      }
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
