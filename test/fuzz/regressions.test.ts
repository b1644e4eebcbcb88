/** Every crash or hang the fuzzer found, as a test of the fixed behaviour (see docs/fuzzing.md). */
import { describe, expect, it } from 'vitest';
import { checkReadOnlySql } from '../../src/cloud/sql-guard.js';
import { parseJsonc } from '../../src/config/jsonc.js';
import { parseConfig } from '../../src/config/load.js';
import { hideUserinfoIn } from '../../src/shared/secrets.js';
import { isWharfError } from '../../src/shared/errors.js';

const refusedSql = (sql: string): string => {
  try {
    checkReadOnlySql(sql);
  } catch (err) {
    expect(isWharfError(err, 'CLOUD_SQL_REFUSED')).toBe(true);
    return (err as Error).message;
  }
  throw new Error(`accepted: ${sql}`);
};

describe('SQL guard (found by fuzz target sql-guard)', () => {
  it('a "--" inside a string does not hide a second statement', () => {
    // The guard stripped comments before strings: "--'; DROP …" vanished as a comment.
    expect(refusedSql("SELECT '--'; DROP TABLE readings")).toMatch(/only one statement/);
    expect(refusedSql("SELECT '/*'; DELETE FROM readings; SELECT '*/'")).toMatch(
      /only one statement/,
    );
  });
  it('the first word is a whole word: select1WITH is not SELECT', () => {
    expect(refusedSql("select1WITH'DELETEDROP'")).toMatch(
      /'SELECT1WITH' statements are not allowed/,
    );
  });
  it('PostgreSQL dollar quotes and unterminated literals are refused, not guessed', () => {
    expect(refusedSql('SELECT $$ -- $$; DROP TABLE x')).toMatch(/dollar-quoted/);
    expect(refusedSql("SELECT 'abc")).toMatch(/never closed/);
    expect(refusedSql('SELECT 1 /* open')).toMatch(/never closed/);
  });
  it('still accepts read-only queries with ; and keywords inside literals and comments', () => {
    for (const q of [
      'SELECT \'a;b\', "DROP" FROM readings -- ; DELETE',
      "select 'it''s' /* ; insert */ from t;",
      "SELECT E'\\'; DROP' AS x",
      'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c LIMIT 5',
      'SELECT $1, [weird;name] FROM t',
    ])
      expect(checkReadOnlySql(q)).toBe(q.replace(/;$/, ''));
  });
  it('is linear on long hostile input', () => {
    const t0 = performance.now();
    for (const tok of ["'", '/*', '--', '"', "''"])
      refusedSqlOrAccepted(`SELECT ${tok.repeat(49_000)}`);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

function refusedSqlOrAccepted(sql: string): void {
  try {
    checkReadOnlySql(sql);
  } catch (err) {
    expect(isWharfError(err, 'CLOUD_SQL_REFUSED')).toBe(true);
  }
}

describe('config reader (found by fuzz target config-reader)', () => {
  it('many duplicate keys after many values: linear, the last value wins, positions follow it', () => {
    // Each duplicate key scanned every position recorded so far: 20k values + 20k duplicates took 2 s.
    const n = 40_000;
    const text = `{"big": [${'1,'.repeat(n)}1],\n${'"k": [1],'.repeat(n)}\n"k": [2, 3]}`;
    const t0 = performance.now();
    const r = parseJsonc(text);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect((r.value as { k: number[] }).k).toEqual([2, 3]);
    expect(r.notices.filter((x) => x.kind === 'duplicate-key')).toHaveLength(n);
    expect(r.positions.get('k')?.line).toBe(3);
    expect(r.positions.get('k[1]')?.line).toBe(3);
  });
  it('a duplicate whose earlier value had more children forgets them', () => {
    const r = parseJsonc('{"a": {"x": 1, "y": 2},\n"a": {"x": 3}}');
    expect(r.ok && r.positions.has('a.y')).toBe(false);
    expect(r.positions.get('a.x')?.line).toBe(2);
  });
});

describe('config values in messages (found by fuzz target config-reader)', () => {
  it('an object with a "toString" key where a value belongs is reported, not a TypeError', () => {
    // String(got) on {"toString": true} threw "Cannot convert object to primitive value".
    for (const text of [
      '[{"toString": true}, "5 ]$9"]',
      '{"services": [{"type": "data_manager", "attributes": {"sync_interval_mins": {"toString": 1}}}]}',
      '{"remotes": [{"name": {"valueOf": 2, "toString": 3}, "address": "sim://x"}]}',
    ]) {
      const r = parseConfig(text, {
        sourcePath: '/c.json',
        env: {},
        hostname: 'h',
        readPart: () => '',
      });
      expect(r.ok).toBe(false);
      expect(r.issues.some((i) => /found an (object|array)/.test(i.message))).toBe(true);
    }
  });
});

describe('board addresses (found by fuzz target config-reader)', () => {
  it('a malformed %-escape in an address is a config error, not a URIError', () => {
    for (const address of ['mqtt://esp%E0', 'serial:///dev/tty%', 'sim://a%zz']) {
      const text = JSON.stringify({ remotes: [{ name: 'b', address, secret: 's' }] });
      const r = parseConfig(text, {
        sourcePath: '/c.json',
        env: {},
        hostname: 'h',
        readPart: () => '',
      });
      expect(r.ok).toBe(false);
      expect(r.issues.find((i) => i.path === 'remotes[0].address')?.message).toMatch(
        /malformed %-escape|not a valid URL/,
      );
    }
  });
});

describe('message post-processing (found in review; covered by config-reader since)', () => {
  it('hiding URL userinfo in a message is linear: a 80k-character name is no hang', () => {
    // The regex backtracked quadratically on long words: 40k characters took 2 s.
    const name = 'a'.repeat(80_000);
    const text = JSON.stringify({
      components: [
        { name, type: 'board' },
        { name, type: 'board' },
      ],
    });
    const t0 = performance.now();
    const r = parseConfig(text, {
      sourcePath: '/c.json',
      env: {},
      hostname: 'h',
      readPart: () => '',
    });
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(r.issues.some((i) => i.message.includes('is used twice'))).toBe(true);
    expect(hideUserinfoIn(`x ${'y://'.repeat(20_000)}u:p@h`)).toMatch(/\*\*\*@h$/);
  });
  it('still hides userinfo of every URL in a message', () => {
    expect(hideUserinfoIn('"ftp://user:p@ss@broker:21" and mqtt://a:b@h/x, http://plain/y')).toBe(
      '"ftp://***@broker:21" and mqtt://***@h/x, http://plain/y',
    );
  });
});
