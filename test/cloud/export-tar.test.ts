/**
 * The tar writer of the image download (src/cloud/images/export-tar.ts), read back by the system's
 * tar: short names in the ustar header, names past 100 bytes (long machine and component names)
 * through a PAX path record, contents padded to 512-byte blocks.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXPORT_MAX_IMAGES, tarHeader } from '../../src/cloud/images/export-tar.js';
import { IMAGE_DOWNLOAD_MAX } from '../../src/cloud/ui/app/api.js';
import { requireTool } from '../helpers/system-tool.js';

const hasTar = requireTool('tar', 'the image download is checked by the system tar');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-tar-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

describe.skipIf(!hasTar)('image tar', () => {
  it('short and long (PAX) names and their bytes read back with tar', () => {
    const long = `images/2026-12-07T11-45-36.123Z_${'m'.repeat(64)}_${'ç'.repeat(40)}_12345.jpg`;
    expect(Buffer.byteLength(long)).toBeGreaterThan(100);
    const files: [string, Buffer][] = [
      ['images/a.jpg', Buffer.from('first image bytes')],
      [long, Buffer.alloc(1500, 7)],
      ['images/empty.jsonl', Buffer.alloc(0)],
    ];
    const tar = Buffer.concat([
      ...files.flatMap(([n, b]) => [tarHeader(n, b.length, Date.UTC(2026, 11, 7)), pad(b)]),
      Buffer.alloc(1024),
    ]);
    const f = path.join(tmp, 't.tar');
    writeFileSync(f, tar);
    const t = spawnSync('tar', ['-tvf', f], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    expect(t.stderr).toBe('');
    expect(t.stdout).toMatch(/2026-12-07/);
    expect(spawnSync('tar', ['-xf', f, '-C', tmp]).status).toBe(0);
    for (const [n, b] of files) expect(readFileSync(path.join(tmp, n)).equals(b)).toBe(true);
  });

  it("the UI's download limit is the route's (the button is off exactly when the route would refuse)", () => {
    expect(IMAGE_DOWNLOAD_MAX).toBe(EXPORT_MAX_IMAGES);
  });
});
