/**
 * Damaged images at the cloud, on a real server over SQLite and PostgreSQL, with real JPEG and PNG
 * images made by ffmpeg:
 *  - an image cut short (a JPEG without its end, a PNG without IEND) is refused at ingest with the
 *    whole file (422), like an image of the wrong type: the cloud never stores half an image;
 *  - an image whose structure is whole but whose content cannot be decoded is stored as it came;
 *    its thumbnail is a 422 saying so (it was a 500 INTERNAL at every request of the grid);
 *  - a machine key (stored on its gateway) reads no images at all (it read every machine's images,
 *    bytes and tar download included; src/cloud/auth.ts refuses machine keys on read routes).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCaptureFile } from '../../src/capture/file-format.js';
import type { ImageMeta } from '../../src/cloud/images/contract.js';
import { sha256Hex } from '../../src/cloud/ingest-check.js';
import type { CaptureMeta, CaptureRecord } from '../../src/shared/record.js';
import { requireTool } from '../helpers/system-tool.js';
import { startCloud, type TestCloud } from './cloud-helper.js';
import { pgUser } from './pg-helper.js';

const hasFfmpeg = requireTool('ffmpeg', 'the image fixtures are made by ffmpeg');
const user = hasFfmpeg ? await pgUser() : null;

function ffmpegImage(codec: 'mjpeg' | 'png'): Buffer {
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120'],
      ...['-frames:v', '1', '-c:v', codec, '-f', 'image2pipe', 'pipe:1'],
    ],
    { maxBuffer: 16 << 20 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${String(r.stderr)}`);
  return r.stdout;
}

const meta = (component_name: string, machine = 'cam-gw'): CaptureMeta => ({
  part_id: `${machine}-part`,
  machine,
  component_type: 'camera',
  component_name,
  method_name: 'ReadImage',
  additional_parameters: {},
  tags: [],
});

const image = (t: number, b: Buffer, mime: string): CaptureRecord => ({
  kind: 'reading',
  time_requested: t,
  time_received: t,
  data: { image: { size: b.length, mime_type: mime } },
  binary: b,
});

const stores: [string, 'sqlite' | { pgUser: string } | null][] = [
  ['SQLite', hasFfmpeg ? 'sqlite' : null],
  ['PostgreSQL', user === null ? null : { pgUser: user }],
];

for (const [name, kind] of stores) {
  describe.skipIf(kind === null)(`damaged images at the cloud on ${name}`, () => {
    let cloud: TestCloud;
    let key: string;
    let readKey: string;
    let n = 0;
    const upload = async (component: string, recs: CaptureRecord[], as = key, machine?: string) => {
      const id = `damaged-${++n}`;
      const file = encodeCaptureFile(
        { version: 1, file_id: id, created_ms: Date.now(), meta: meta(component, machine) },
        recs,
      );
      return fetch(`${cloud.url}/api/v1/files`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${as}`,
          'content-type': 'application/octet-stream',
          'x-wharf-file-id': id,
          'x-wharf-sha256': sha256Hex(file),
        },
        body: Buffer.from(file),
      });
    };
    const get = (p: string, k = readKey) =>
      fetch(`${cloud.url}${p}`, { headers: { authorization: `Bearer ${k}` } });

    beforeAll(async () => {
      cloud = await startCloud(kind!);
      key = (await cloud.store.createKey('cam-gw')).key;
      readKey = (await cloud.store.createKey(null, 'viewer')).key;
    });
    afterAll(async () => {
      await cloud?.close();
    });

    it('an image cut short is refused with its whole file; whole images of both types are stored', async () => {
      const jpeg = ffmpegImage('mjpeg');
      const png = ffmpegImage('png');
      const t = Date.now();
      const cut: [string, Buffer, string, RegExp][] = [
        ['jpeg-half', jpeg.subarray(0, jpeg.length >> 1), 'image/jpeg', /no end of image marker/],
        [
          'jpeg-head',
          jpeg.subarray(0, 40),
          'image/jpeg',
          /ends before its image data|past the end/,
        ],
        ['png-half', png.subarray(0, png.length >> 1), 'image/png', /cut short/],
        ['png-tail', Buffer.concat([png, Buffer.from('junk')]), 'image/png', /4 bytes after IEND/],
      ];
      for (const [what, bytes, mime, why] of cut) {
        const res = await upload(what, [image(t, jpeg, 'image/jpeg'), image(t + 1, bytes, mime)]);
        expect(res.status, what).toBe(422);
        const body = JSON.stringify(await res.json());
        expect(body, what).toMatch(new RegExp(`the image bytes are not a whole ${mime}`));
        expect(body, what).toMatch(why);
      }
      expect(await cloud.store.images.countImages({})).toBe(0); // nothing of those files
      const ok = await upload('whole', [
        image(t, jpeg, 'image/jpeg'),
        image(t + 1, png, 'image/png'),
      ]);
      expect(ok.status).toBe(201);
      expect(await cloud.store.images.countImages({})).toBe(2);
    });

    it('an image whole in structure but not decodable is stored as it came; its thumbnail is a 422 saying why, not a 500', async () => {
      // SOI, a scan without a frame header, some data, EOI: every marker in place, no picture
      const odd = Buffer.from([
        ...[0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00],
        ...[0x12, 0x34, 0xff, 0xd9],
      ]);
      expect((await upload('odd', [image(Date.now(), odd, 'image/jpeg')])).status).toBe(201);
      const page = (await (await get('/api/v1/images?component_name=odd')).json()) as {
        images: ImageMeta[];
      };
      const id = page.images[0]!.id;
      const full = await get(`/api/v1/images/${id}`);
      expect(full.status).toBe(200);
      expect(Buffer.from(await full.arrayBuffer()).equals(odd)).toBe(true);
      for (let i = 0; i < 2; i++) {
        const th = await get(`/api/v1/images/${id}/thumb`);
        expect(th.status).toBe(422);
        const e = (await th.json()) as { error: { code: string; message: string } };
        expect(e.error.code).toBe('IMAGE_UNREADABLE');
        expect(e.error.message).toMatch(new RegExp(`image ${id} cannot be decoded \\(.+\\)`));
      }
      // a good image's thumbnail is still made
      const good = (await (await get('/api/v1/images?component_name=whole&limit=1')).json()) as {
        images: ImageMeta[];
      };
      const th = await get(`/api/v1/images/${good.images[0]!.id}/thumb`);
      expect(th.status).toBe(200);
      expect(th.headers.get('content-type')).toBe('image/jpeg');
    });

    it("a machine key reads no images (its own machine's or any other's): 403 on every image route; the read-only key sees them all", async () => {
      const otherKey = (await cloud.store.createKey('other-gw')).key;
      const jpeg = ffmpegImage('mjpeg');
      expect((await upload('my-cam', [image(Date.now(), jpeg, 'image/jpeg')])).status).toBe(201);
      const up = await upload(
        'their-cam',
        [image(Date.now(), jpeg, 'image/jpeg')],
        otherKey,
        'other-gw',
      );
      expect(up.status).toBe(201);
      const all = (await (await get('/api/v1/images?limit=1000')).json()) as {
        images: ImageMeta[];
      };
      const mine = all.images.filter((i) => i.machine === 'cam-gw');
      const theirs = all.images.filter((i) => i.machine === 'other-gw');
      expect(mine.length).toBeGreaterThan(0);
      expect(theirs).toHaveLength(1);
      // cam-gw's own key (the one on its gateway): nothing, not even its own machine's images
      const paths = [
        '/api/v1/images?limit=1000',
        '/api/v1/images?machine=cam-gw',
        '/api/v1/images?machine=other-gw',
        '/api/v1/images/count',
        '/api/v1/images/export.tar',
        ...['', '/meta', '/thumb'].flatMap((p) => [
          `/api/v1/images/${mine[0]!.id}${p}`,
          `/api/v1/images/${theirs[0]!.id}${p}`,
        ]),
      ];
      for (const p of paths) {
        const r = await get(p, key);
        expect(r.status, p).toBe(403);
        const body = JSON.stringify(await r.json());
        expect(body, p).toMatch(/machine 'cam-gw''s key/);
        expect(body, p).not.toContain('their-cam');
      }
      // the read-only key still sees every machine
      expect(await (await get('/api/v1/images/count')).json()).toEqual({
        count: all.images.length,
      });
    });
  });
}
