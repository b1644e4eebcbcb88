/**
 * Cloud ingest body check (src/cloud/ingest-check.ts): any body, with any headers, is accepted or
 * refused with a coded 4xx error (CLOUD_BAD_REQUEST / CLOUD_FORBIDDEN), never anything else; an
 * accepted body is exactly a clean capture file of the key's machine and the records it holds.
 */
import fc from 'fast-check';
import { checkUpload, sha256Hex } from '../../src/cloud/ingest-check.js';
import { decodeCaptureFile, decodeHeader } from '../../src/capture/file-format.js';
import type { KeyInfo } from '../../src/cloud/store/contract.js';
import {
  expectOnlyCoded,
  fail,
  mutated,
  rawBytes,
  sameJson,
  type FuzzTarget,
  NORMAL,
} from '../core.js';
import { validFile } from './capture.js';

export interface IngestInput {
  body: Uint8Array;
  fileId: string | undefined;
  sha: 'right' | 'wrong' | 'none';
  machine: string | null;
}

export const ingest: FuzzTarget<IngestInput> = {
  name: 'ingest-body',
  about: "checkUpload(body, headers, key): coded 4xx or a clean capture file of the key's machine",
  arbitrary: (corpus) =>
    fc.oneof(
      {
        weight: 2 * NORMAL,
        arbitrary: fc
          .tuple(
            validFile,
            fc.boolean(),
            fc.constantFrom<'right' | 'wrong'>('right', 'right', 'wrong'),
          )
          .map(([v, own, sha]) => ({
            body: v.bytes,
            fileId: v.h.file_id,
            sha,
            machine: own ? v.h.meta.machine : 'other-machine',
          })),
      },
      {
        weight: 3 * NORMAL,
        arbitrary: fc.record({
          body: fc.oneof(mutated(corpus), rawBytes()),
          fileId: fc.oneof(
            fc.constant(undefined),
            fc.constantFrom('f1', 'a'),
            fc.string({ maxLength: 140 }),
          ),
          sha: fc.constantFrom<'right' | 'wrong' | 'none'>(
            'right',
            'right',
            'right',
            'wrong',
            'none',
          ),
          machine: fc.oneof(fc.constant(null), fc.constantFrom('m', 'gw', 'line-3')),
        }),
      },
    ),
  fromBytes: (b) => ({ body: b, fileId: 'f1', sha: 'right', machine: 'm' }),
  check(inp) {
    const body = Buffer.from(inp.body);
    const sha =
      inp.sha === 'none' ? undefined : inp.sha === 'right' ? sha256Hex(body) : '0'.repeat(64);
    const key = { id: 'k1', machine: inp.machine } as KeyInfo;
    const got = expectOnlyCoded(
      ['CLOUD_BAD_REQUEST', 'CLOUD_FORBIDDEN', 'CLOUD_INGEST_REJECTED'],
      () =>
        checkUpload(body, { fileId: inp.fileId, sha256: sha }, key, {
          decode: decodeCaptureFile,
          decodeHeader,
        }),
    );
    if (got === undefined) return;
    const dec = decodeCaptureFile(body);
    if (dec.torn !== null) fail('a torn file was accepted');
    if (inp.sha !== 'right') fail('a body with a wrong checksum was accepted');
    if (got.meta.machine !== inp.machine) fail('a file of another machine was accepted');
    if (got.file_id !== inp.fileId) fail('the file id header was not checked');
    if (!sameJson(got.records, dec.records)) fail('accepted records differ from the file');
  },
};
