/**
 * Tests that need a system tool (socat, mosquitto, chromium, PostgreSQL) ask here first.
 * Locally a missing tool is reported loudly and the test is skipped; under CI=true it is a failure,
 * so nothing is silently skipped in CI. `bash scripts/system-deps.sh` installs them all.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const cache = new Map<string, string | null>();

/** Absolute path of the tool, or null. Looks in PATH and in /usr/sbin, /usr/lib/postgresql/. */
export function findTool(name: string): string | null {
  const hit = cache.get(name);
  if (hit !== undefined) return hit;
  let found: string | null = null;
  try {
    found = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    found = null;
  }
  if (found === null) {
    for (const dir of ['/usr/sbin', '/usr/local/sbin', '/usr/bin']) {
      if (existsSync(`${dir}/${name}`)) {
        found = `${dir}/${name}`;
        break;
      }
    }
  }
  cache.set(name, found);
  return found;
}

/**
 * Returns true when the tool exists. When it does not: under CI=true throws (the suite fails),
 * otherwise prints a loud warning and returns false so the caller can `describe.skipIf(!ok)`.
 */
export function requireTool(name: string, why: string): boolean {
  if (findTool(name) !== null) return true;
  const msg = `wharf tests: '${name}' not found (${why}). Install it with: bash scripts/system-deps.sh`;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`${msg} [required under CI]`);
  process.stderr.write(`\n!!! SKIPPING: ${msg}\n\n`);
  return false;
}
