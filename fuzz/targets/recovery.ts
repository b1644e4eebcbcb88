/**
 * Crash recovery on real files (src/capture/recovery.ts): any bytes left as a `.prog` are, after
 * `recoverCaptureDir`, either removed (empty), moved to failed/ (unreadable header) or finished as a
 * `.capture` that decodes cleanly and holds exactly the intact records (plus one
 * `recovery_truncated` gap when a tail was cut). No `.prog` is left; recovery never throws.
 * Files are real (on /dev/shm when there is one), so this target runs fewer inputs (costFactor).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { recoverCaptureDir } from '../../src/capture/recovery.js';
import { decodeCaptureFile } from '../../src/capture/file-format.js';
import { nullLogger } from '../../src/shared/logger.js';
import { fail, mutated, rawBytes, sameJson, type FuzzTarget, NORMAL } from '../core.js';
import { decodeChecked, validFile } from './capture.js';

let dir: string | undefined;
function workDir(): string {
  if (dir !== undefined) return dir;
  const base = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  dir = fs.mkdtempSync(path.join(base, 'wharf-fuzz-recovery-'));
  process.once('exit', () => fs.rmSync(dir!, { recursive: true, force: true }));
  return dir;
}

export const recovery: FuzzTarget<Uint8Array> = {
  name: 'capture-recovery',
  about:
    'recoverCaptureDir on a real .prog holding any bytes: removed, failed/, or a clean .capture with the intact records',
  costFactor: 25,
  arbitrary: (corpus) =>
    fc.oneof(
      { weight: 3 * NORMAL, arbitrary: mutated(corpus) },
      {
        weight: 2 * NORMAL,
        arbitrary: fc
          .tuple(validFile, fc.nat())
          .map(([v, cut]) => v.bytes.subarray(0, cut % (v.bytes.length + 1))),
      },
      { weight: 1 * NORMAL, arbitrary: rawBytes() },
    ),
  fromBytes: (b) => b,
  async check(bytes) {
    const d = workDir();
    fs.rmSync(d, { recursive: true, force: true });
    fs.mkdirSync(d);
    const prog = path.join(d, 'f.prog');
    fs.writeFileSync(prog, bytes);
    const want = decodeChecked(bytes);
    const report = await recoverCaptureDir(d, nullLogger);
    if (report.errors.length > 0)
      fail(`recovery could not handle a file: ${report.errors[0]!.error}`);
    if (fs.existsSync(prog)) fail('a .prog was left behind');
    if (bytes.length === 0) {
      if (report.emptyRemoved.length !== 1) fail('an empty .prog was not reported as removed');
      return;
    }
    if (want === undefined) {
      if (report.failed.length !== 1 || !fs.existsSync(report.failed[0]!.movedTo))
        fail('an unreadable header was not moved to failed/');
      return;
    }
    const r = report.recovered[0];
    if (r === undefined) fail('a readable file was not recovered');
    const dec = decodeCaptureFile(fs.readFileSync(r.finalPath));
    if (dec.torn !== null) fail(`the recovered file is torn: ${dec.torn.reason}`);
    const expected = want.torn === null ? want.records : [...want.records, r.gap];
    if (!sameJson(dec.records, expected))
      fail('the recovered file does not hold the intact records (+ gap)');
    if ((want.torn !== null) !== (r.gap !== null))
      fail('a gap record was added to a clean file, or missed on a torn one');
  },
};
