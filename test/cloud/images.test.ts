/**
 * Cameras end to end on SQLite and PostgreSQL: a real ffmpeg test source → the gateway's capture
 * files → sync → cloud → the image API returns exactly the captured bytes and metadata, filtered
 * like readings (machine, part, component, method, time, tags, mime type), paged newest first;
 * re-uploading a file stores nothing twice; a bad image is refused whole; no key, no image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/app/gateway.js';
import { decodeCaptureFile, encodeCaptureFile } from '../../src/capture/file-format.js';
import { listFinishedFiles } from '../../src/capture/files.js';
import type { ImageMeta } from '../../src/cloud/images/contract.js';
import { sha256Hex } from '../../src/cloud/ingest-check.js';
import { nullLogger } from '../../src/shared/logger.js';
import type { CaptureMeta, ReadingRecord } from '../../src/shared/record.js';
import { HttpSyncTarget } from '../../src/sync/http-target.js';
import { SyncWorker } from '../../src/sync/worker.js';
import { load, planOf } from '../config/helpers.js';
import { requireTool } from '../helpers/system-tool.js';
import { startCloud, type TestCloud } from './cloud-helper.js';
import { runCli } from '../helpers/cli.js';
import { readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { pgUser } from './pg-helper.js';
import { spawnSync } from 'node:child_process';
import { imageTar } from '../../src/cloud/images/export-tar.js';

const hasFfmpeg = requireTool('ffmpeg', 'camera capture reads real ffmpeg sources');
const user = hasFfmpeg ? await pgUser() : null;

interface Captured {
  meta: CaptureMeta;
  rec: ReadingRecord;
}

/** Captures ~2 s from two cameras (JPEG 5 Hz on "cell", PNG 2 Hz on "dock") into `dir`. */
async function captureImages(
  dir: string,
): Promise<{ files: Map<string, Buffer>; images: Captured[] }> {
  const cam = (name: string, hz: number, mime: string, tags: string[]) => ({
    name,
    type: 'camera',
    model: 'ffmpeg',
    attributes: { video_path: 'lavfi:testsrc=size=320x240:rate=25' },
    service_configs: [
      {
        type: 'data_manager',
        attributes: {
          capture_methods: [
            {
              method: 'ReadImage',
              capture_frequency_hz: hz,
              additional_params: { mime_type: mime },
              tags,
            },
          ],
        },
      },
    ],
  });
  const plan = planOf(
    load({
      services: [
        {
          name: 'data_manager',
          type: 'data_manager',
          attributes: {
            capture_dir: dir,
            flush_interval_ms: 100,
            maximum_capture_file_age_ms: 400,
          },
        },
      ],
      components: [cam('cell', 5, 'image/jpeg', ['line-1']), cam('dock', 2, 'image/png', ['dock'])],
      wharf: { machine: 'cam-gw', part_id: 'cam-part', http: null },
    }),
  );
  const gw = await Gateway.start({ plan, logger: nullLogger });
  const end = Date.now() + 20_000;
  let images: Captured[] = [];
  const files = new Map<string, Buffer>();
  try {
    for (;;) {
      files.clear();
      images = [];
      for (const f of await listFinishedFiles(dir)) {
        const buf = await fsp.readFile(f.path);
        files.set(f.path, buf);
        const d = decodeCaptureFile(buf);
        for (const rec of d.records)
          if (rec.kind === 'reading' && rec.binary) images.push({ meta: d.header.meta, rec });
      }
      const n = (c: string) => images.filter((i) => i.meta.component_name === c).length;
      if (n('cell') >= 8 && n('dock') >= 3) break;
      if (Date.now() > end) throw new Error('timed out waiting for images');
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await gw.stop();
  }
  // what stop() finished is captured too
  files.clear();
  images = [];
  for (const f of await listFinishedFiles(dir)) {
    const buf = await fsp.readFile(f.path);
    files.set(f.path, buf);
    const d = decodeCaptureFile(buf);
    for (const rec of d.records)
      if (rec.kind === 'reading' && rec.binary) images.push({ meta: d.header.meta, rec });
  }
  return { files, images };
}

const stores: [string, 'sqlite' | { pgUser: string } | null][] = [
  ['SQLite', hasFfmpeg ? 'sqlite' : null],
  ['PostgreSQL', user === null ? null : { pgUser: user }],
];

for (const [name, kind] of stores) {
  describe.skipIf(kind === null)(`camera → sync → cloud images on ${name}`, () => {
    let dir: string;
    let cloud: TestCloud;
    let key: string;
    let readKey: string;
    let captured: { files: Map<string, Buffer>; images: Captured[] };
    const get = async (p: string, k = readKey) =>
      fetch(`${cloud.url}${p}`, { headers: { authorization: `Bearer ${k}` } });
    const list = async (q: string): Promise<ImageMeta[]> => {
      const out: ImageMeta[] = [];
      let cursor = '';
      for (let i = 0; i < 200; i++) {
        const res = await get(`/api/v1/images?limit=4&${q}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        const page = (await res.json()) as { images: ImageMeta[]; next_cursor: string | null };
        out.push(...page.images);
        if (page.next_cursor === null) return out;
        cursor = page.next_cursor;
      }
      throw new Error('too many pages');
    };

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'wharf-img-'));
      cloud = await startCloud(kind!);
      key = (await cloud.store.createKey('cam-gw')).key;
      readKey = (await cloud.store.createKey(null, 'viewer')).key;
      captured = await captureImages(dir);
      const worker = new SyncWorker({
        captureDir: dir,
        target: new HttpSyncTarget({ url: cloud.url, apiKey: key }),
        intervalMs: 60_000,
      });
      const r = await worker.syncNow();
      await worker.stop();
      expect(r.error).toBeNull();
      expect(await listFinishedFiles(dir)).toHaveLength(0);
    }, 60_000);
    afterAll(async () => {
      await cloud?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('lists every captured image newest first with its metadata, and serves exactly its bytes', async () => {
      const all = await list('');
      expect(all.length).toBe(captured.images.length);
      for (let i = 1; i < all.length; i++)
        expect(all[i - 1]!.time_received).toBeGreaterThanOrEqual(all[i]!.time_received);
      const byKey = new Map(
        captured.images.map((c) => [`${c.meta.component_name}@${c.rec.time_requested}`, c]),
      );
      for (const im of all) {
        const c = byKey.get(`${im.component_name}@${im.time_requested}`);
        expect(c, `image ${im.component_name}@${im.time_requested} was captured`).toBeDefined();
        expect(im).toMatchObject({
          machine: 'cam-gw',
          part_id: 'cam-part',
          component_type: 'camera',
          method_name: 'ReadImage',
          time_received: c!.rec.time_received,
          mime_type: c!.meta.component_name === 'cell' ? 'image/jpeg' : 'image/png',
          size: c!.rec.binary!.length,
        });
      }
      for (const im of [all[0]!, all.at(-1)!, all.find((x) => x.mime_type === 'image/png')!]) {
        const res = await get(`/api/v1/images/${im.id}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe(im.mime_type);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        const bytes = Buffer.from(await res.arrayBuffer());
        const c = byKey.get(`${im.component_name}@${im.time_requested}`)!;
        expect(bytes.equals(Buffer.from(c.rec.binary!))).toBe(true);
        const meta = await (await get(`/api/v1/images/${im.id}/meta`)).json();
        expect(meta).toEqual(im);
      }
      expect((await get('/api/v1/images/999999999')).status).toBe(404);
      expect((await get('/api/v1/images/abc')).status).toBe(400);
      // the metadata is a reading too: the readings API and filters see it
      const res = await get('/api/v1/readings?component_name=dock&kind=reading&limit=1000');
      const rows = ((await res.json()) as { rows: { data: unknown }[] }).rows;
      expect(rows.length).toBe(
        captured.images.filter((c) => c.meta.component_name === 'dock').length,
      );
      expect(rows[0]!.data).toEqual({
        image: { size: expect.any(Number), mime_type: 'image/png' },
      });
    });

    it('filters like readings: component, method, tags, mime type, machine, part and time', async () => {
      const n = (c: string) => captured.images.filter((i) => i.meta.component_name === c).length;
      expect((await list('component_name=dock')).length).toBe(n('dock'));
      expect((await list('mime_type=image/jpeg')).map((i) => i.component_name)).toEqual(
        Array(n('cell')).fill('cell'),
      );
      expect((await list('tags=dock')).length).toBe(n('dock'));
      expect((await list('method=ReadImage&machine=cam-gw&part_id=cam-part')).length).toBe(
        captured.images.length,
      );
      expect(await list('machine=other')).toEqual([]);
      const times = captured.images.map((c) => c.rec.time_received).sort((a, b) => a - b);
      const mid = times[Math.floor(times.length / 2)]!;
      const late = await list(`from=${mid}`);
      expect(late.length).toBe(times.filter((t) => t >= mid).length);
      expect((await list(`to=${mid}&order=asc`)).map((i) => i.time_received)).toEqual(
        times.filter((t) => t <= mid),
      );
      expect(await cloud.store.images.countImages({ component_name: ['cell'] })).toBe(n('cell'));
    });

    it('wharf cloud export --images writes the images (names in time order) and images.jsonl, with progress, and resumes', async () => {
      const out = join(dir, 'export');
      const env = { ...process.env, WHARF_LOG_LEVEL: 'error' };
      const args = [
        'cloud',
        'export',
        '--images',
        '--out',
        out,
        '--url',
        cloud.url,
        '--key',
        readKey,
        '--component-name',
        'cell',
      ];
      const r = await runCli(args, env, dir);
      const cell = captured.images
        .filter((c) => c.meta.component_name === 'cell')
        .sort((a, b) => a.rec.time_requested - b.rec.time_requested);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(
        new RegExp(
          `exported ${cell.length} images to .* \\(${cell.length} fetched, .*; 0 already there\\) with images.jsonl`,
        ),
      );
      const files = readdirSync(out)
        .filter((f) => f.endsWith('.jpg'))
        .sort();
      expect(files).toHaveLength(cell.length);
      files.forEach((f, i) => {
        expect(
          f.startsWith(new Date(cell[i]!.rec.time_requested).toISOString().replace(/:/g, '-')),
        ).toBe(true);
        expect(readFileSync(join(out, f)).equals(Buffer.from(cell[i]!.rec.binary!))).toBe(true);
      });
      const lines = readFileSync(join(out, 'images.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ImageMeta & { file: string });
      expect(lines.map((l) => l.file)).toEqual(files);
      expect(lines[0]).toMatchObject({
        machine: 'cam-gw',
        component_name: 'cell',
        mime_type: 'image/jpeg',
        time_requested: cell[0]!.rec.time_requested,
      });
      // an interrupted export: one image missing, one damaged → the rerun fetches only those two
      unlinkSync(join(out, files[0]!));
      writeFileSync(join(out, files[1]!), 'damaged');
      const again = await runCli(args, env, dir);
      expect(again.code, again.err).toBe(0);
      expect(again.err).toMatch(
        new RegExp(`\\(2 fetched, .*; ${cell.length - 2} already there\\)`),
      );
      expect(readFileSync(join(out, files[1]!)).equals(Buffer.from(cell[1]!.rec.binary!))).toBe(
        true,
      );
      expect(readdirSync(out).filter((f) => f.endsWith('.part'))).toEqual([]);
    });

    it("GET /api/v1/images/export.tar streams the filter's images (names in time order) and images.jsonl; 401 without a key; bounded in images and time; pulled with back-pressure", async () => {
      // no key: refused before anything is read
      expect((await fetch(`${cloud.url}/api/v1/images/export.tar`)).status).toBe(401);
      const res = await get('/api/v1/images/export.tar?component_name=cell');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/x-tar');
      expect(res.headers.get('content-disposition')).toMatch(
        /^attachment; filename="wharf-images-.*\.tar"$/,
      );
      const cell = captured.images
        .filter((c) => c.meta.component_name === 'cell')
        .sort((a, b) => a.rec.time_requested - b.rec.time_requested);
      expect(res.headers.get('x-wharf-image-count')).toBe(String(cell.length));
      const out = join(dir, 'tar');
      await fsp.mkdir(out, { recursive: true });
      const tarFile = join(out, 'images.tar');
      writeFileSync(tarFile, Buffer.from(await res.arrayBuffer()));
      // the system's tar reads it
      const listed = spawnSync('tar', ['-tf', tarFile], { encoding: 'utf8' });
      expect(listed.status, listed.stderr).toBe(0);
      const names = listed.stdout.trim().split('\n');
      expect(names.at(-1)).toBe('images/images.jsonl');
      const imgs = names.slice(0, -1);
      expect(imgs).toHaveLength(cell.length);
      expect([...imgs].sort()).toEqual(imgs); // name order is time order
      expect(spawnSync('tar', ['-xf', tarFile, '-C', out]).status).toBe(0);
      imgs.forEach((f, i) => {
        expect(
          f.startsWith(
            `images/${new Date(cell[i]!.rec.time_requested).toISOString().replace(/:/g, '-')}`,
          ),
        ).toBe(true);
        expect(readFileSync(join(out, f)).equals(Buffer.from(cell[i]!.rec.binary!))).toBe(true);
      });
      const lines = readFileSync(join(out, 'images/images.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ImageMeta & { file: string });
      expect(lines.map((l) => `images/${l.file}`)).toEqual(imgs);
      expect(lines[0]).toMatchObject({
        component_name: 'cell',
        sha256: sha256Hex(cell[0]!.rec.binary!),
      });

      // bounded: more images than a download holds is refused before any byte
      await expect(imageTar(cloud.store.images, {}, { max: 2 })).rejects.toThrow(
        /images match; a download holds at most 2: narrow the filter/,
      );
      // back-pressure: a reader that takes one chunk makes the store read one image, not all
      let reads = 0;
      const counting = {
        listImages: cloud.store.images.listImages.bind(cloud.store.images),
        countImages: cloud.store.images.countImages.bind(cloud.store.images),
        image: async (id: number) => {
          reads++;
          return cloud.store.images.image(id);
        },
      };
      const { stream } = await imageTar(counting, { component_name: ['cell'] });
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      await new Promise((r) => setImmediate(r));
      expect(reads).toBeLessThanOrEqual(2);
      await it.return?.();
      // bounded in time: past the limit the stream fails (a failed download, never a short archive)
      let t = 0;
      const slow = await imageTar(cloud.store.images, {}, { timeLimitMs: 5, now: () => (t += 10) });
      await expect(
        (async () => {
          for await (const _ of slow.stream) void _;
        })(),
      ).rejects.toThrow(/took longer than/);
    });

    it('re-uploading a file stores nothing twice; a bad image refuses the whole file; no key, no image', async () => {
      const before = await cloud.store.images.countImages({});
      const [path, buf] = [...captured.files].find(([, b]) =>
        decodeCaptureFile(b).records.some((r) => r.kind === 'reading' && r.binary),
      )!;
      const fileId = decodeCaptureFile(buf).header.file_id;
      const up = (b: Uint8Array, id: string) =>
        fetch(`${cloud.url}/api/v1/files`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/octet-stream',
            'x-wharf-file-id': id,
            'x-wharf-sha256': sha256Hex(b),
          },
          body: Buffer.from(b),
        });
      const again = await up(buf, fileId);
      expect(again.status, path).toBe(200);
      expect(((await again.json()) as { status: string }).status).toBe('already_stored');
      expect(await cloud.store.images.countImages({})).toBe(before);

      const meta = decodeCaptureFile(buf).header.meta;
      const now = Date.now();
      const bad = encodeCaptureFile({ version: 1, file_id: 'bad-image-1', created_ms: now, meta }, [
        {
          kind: 'reading',
          time_requested: now,
          time_received: now,
          data: { image: { size: 5, mime_type: 'image/jpeg' } },
          binary: Buffer.from('<html'),
        },
      ]);
      const res = await up(bad, 'bad-image-1');
      expect(res.status).toBe(422);
      expect(JSON.stringify(await res.json())).toMatch(/the image bytes are not image\/jpeg/);
      expect(await cloud.store.images.countImages({})).toBe(before);

      const any = (await list(''))[0]!;
      expect((await fetch(`${cloud.url}/api/v1/images/${any.id}`)).status).toBe(401);
      expect((await fetch(`${cloud.url}/api/v1/images`)).status).toBe(401);
    });
  });
}
