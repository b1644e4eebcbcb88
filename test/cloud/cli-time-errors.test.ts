/**
 * CLI findings of issue 11 against a real cloud: relative time flags (`--from -1h` like the UI's
 * "Last hour") with clear errors, the unreachable-cloud error of a query, and what the message after
 * creating a key says it is for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCloud, type TestCloud } from './cloud-helper.js';
import { meta, readings } from './fixtures.js';
import { ingestFile } from './store-contract.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { parseTimeSpec } from '../../src/shared/time-spec.js';

/** A local port nothing listens on (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(args, { HOME: tmpdir(), ...env }, tmpdir());
}

describe('time specs', () => {
  const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
  it.each([
    ['now', NOW],
    ['-1h', NOW - 3_600_000],
    ['-30m', NOW - 1_800_000],
    ['-7d', NOW - 7 * 86_400_000],
    ['-90s', NOW - 90_000],
    ['now-2h', NOW - 7_200_000],
    ['+10m', NOW + 600_000],
    ['1700000000000', 1_700_000_000_000],
    ['2026-12-07T10:00:00Z', Date.UTC(2026, 11, 7, 10)],
    ['2026-12-07', Date.UTC(2026, 11, 7)],
  ])('%s', (s, want) => {
    expect(parseTimeSpec(s, NOW)).toEqual({ ok: true, ms: want });
  });
  it.each([
    ['-1x', /unit is not one of/],
    ['yesterday', /not a time/],
    ['1h', /unit is not one of|not a time/],
    ['', /empty/],
    ['2026-13-45', /not a valid date/],
  ])('refuses %j', (s, why) => {
    const r = parseTimeSpec(s, NOW);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(why);
  });
});

describe('wharf query: relative times, errors, keys', () => {
  let cloud: TestCloud;
  let key: string;
  beforeAll(async () => {
    cloud = await startCloud('sqlite');
    key = (await cloud.store.createKey(null)).key;
    // 600 readings one per second, the newest 5 s ago: 10 minutes of data ending now
    const t0 = Date.now() - 5000 - 599_000;
    await cloud.store.ingest(ingestFile(meta(), readings(600, t0, 1000)));
    await cloud.store.ingest(ingestFile(meta({ machine: 'old' }), readings(10, t0 - 7_200_000)));
  });
  afterAll(() => cloud.close());

  it('--from -1m / -30m / --to now select by time relative to now', async () => {
    const q = (from: string) =>
      run([
        'query',
        '--url',
        cloud.url,
        '--key',
        key,
        '--from',
        from,
        '--to',
        'now',
        '--json',
        '--limit',
        '1000',
      ]);
    const lastMinute = await q('-1m');
    expect(lastMinute.code).toBe(0);
    const n1 = lastMinute.out.trim().split('\n').length;
    expect(n1).toBeGreaterThanOrEqual(50); // ~55 readings, whatever the test's own delay
    expect(n1).toBeLessThanOrEqual(60);
    const half = await q('-30m');
    expect(half.out.trim().split('\n')).toHaveLength(600); // not the 2-hour-old machine
    const day = await q('-1d');
    expect(day.out.trim().split('\n')).toHaveLength(610);
  });

  it('a bad time names the flag and the forms it takes', async () => {
    const r = await run(['query', '--url', cloud.url, '--key', key, '--from', '-1x']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--from "-1x" is not a time \(the unit is not one of ms, s, m, h, d, w/);
    expect(r.err).toMatch(/-1h, -30m, -7d/);
    expect(r.err).toMatch(/\[USAGE\]/);
    const order = await run([
      'query',
      '--url',
      cloud.url,
      '--key',
      key,
      '--from',
      'now',
      '--to',
      '-1h',
    ]);
    expect(order.err).toMatch(/--from .* is after --to/);
    // the API takes the same forms
    const api = await fetch(`${cloud.url}/api/v1/readings?from=-1x`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(api.status).toBe(400);
    expect(await api.text()).toMatch(/from=-1x is not a time/);
  });

  it('with the cloud down, a query says CLOUD_UNREACHABLE with the URL and what to do (not a sync error)', async () => {
    const port = await closedPort();
    const r = await run(['query', '--url', `http://127.0.0.1:${port}`, '--key', key]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot reach the cloud at http://127.0.0.1:${port} (ECONNREFUSED)`);
    expect(r.err).toMatch(/wharf cloud serve/);
    expect(r.err).toMatch(/--url/);
    expect(r.err).toMatch(/\[CLOUD_UNREACHABLE\]/);
    expect(r.err).not.toMatch(/SYNC_/);
  });

  it('after creating a key, says what it is for: a read-only key is never sent to wharf.sync.api_key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-keys-msg-'));
    try {
      const db = join(dir, 'cloud.db');
      const ro = await run(['cloud', 'keys', 'create', '--read-only', '--db', db]);
      expect(ro.code).toBe(0);
      expect(ro.err).toMatch(/read-only key \w+ created/);
      expect(ro.err).toMatch(/cannot upload/);
      expect(ro.err).not.toMatch(/put it in wharf\.sync\.api_key/);
      const mk = await run(['cloud', 'keys', 'create', '--machine', 'line-3', '--db', db]);
      expect(mk.err).toMatch(
        /for machine 'line-3' created.*uploads that machine's data and reads nothing: put it in the gateway's wharf\.sync\.api_key/,
      );
      expect(mk.err).toMatch(/to query, export or log in to the web UI, create a --read-only key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
