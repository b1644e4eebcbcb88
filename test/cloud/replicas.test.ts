/**
 * Two cloud replicas on one PostgreSQL (issue 14, item 6, first part): the same capture file
 * uploaded to both at once is stored once, and both answer with the same rows afterwards.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCaptureFile } from '../../src/capture/file-format.js';
import type { CaptureRecord } from '../../src/shared/record.js';
import { call, startFleetCloud, type FleetCloud, type FleetServer } from './fleet-helper.js';
import { pgUser } from './pg-helper.js';

const user = await pgUser();

describe.skipIf(user === null)('two replicas on one PostgreSQL', () => {
  let c: FleetCloud;
  let b: FleetServer;
  beforeAll(async () => {
    c = await startFleetCloud({ pgUser: user! });
    b = await c.replica();
  });
  afterAll(async () => {
    await c?.close();
  });

  it('stores a file uploaded to both replicas at the same time once', async () => {
    const key = await c.machineKey('m1');
    const t0 = Date.now() - 60_000;
    const records: CaptureRecord[] = Array.from({ length: 2000 }, (_, i) => ({
      kind: 'reading',
      time_requested: t0 + i * 10,
      time_received: t0 + i * 10 + 1,
      data: { A1: { value: i % 4096, min_range: 0, max_range: 3.3, step_size: 3.3 / 4096 } },
    }));
    for (let round = 0; round < 5; round++) {
      const fileId = randomUUID();
      const bytes = encodeCaptureFile(
        {
          version: 1,
          file_id: fileId,
          created_ms: t0,
          meta: {
            part_id: 'm1-main',
            machine: 'm1',
            component_type: 'board',
            component_name: `b${round}`,
            method_name: 'Analogs',
            additional_parameters: {},
            tags: [],
          },
        },
        records,
      );
      const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const post = (url: string) =>
        fetch(`${url}/api/v1/files`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/octet-stream',
            'x-wharf-file-id': fileId,
            'x-wharf-sha256': createHash('sha256').update(body).digest('hex'),
          },
          body: body as unknown as BodyInit,
        }).then(async (r) => ({ status: r.status, json: (await r.json()) as { status: string } }));
      const answers = await Promise.all([
        post(c.main.url),
        post(b.url),
        post(c.main.url),
        post(b.url),
      ]);
      // every upload is acknowledged (the gateway may delete its file), exactly one stored it
      expect(answers.every((a) => a.status === 201 || a.status === 200)).toBe(true);
      expect(answers.filter((a) => a.json.status === 'stored')).toHaveLength(1);
      expect(await c.store.count({ machine: ['m1'], component_name: [`b${round}`] })).toBe(2000);
    }
    const viaA = await call(
      `${c.main.url}/api/v1/readings?machine=m1&limit=5&order=asc`,
      c.readKey,
    );
    const viaB = await call(`${b.url}/api/v1/readings?machine=m1&limit=5&order=asc`, c.readKey);
    expect(viaB.json.rows).toEqual(viaA.json.rows);
  });
});
