/**
 * Cameras end to end on the gateway with real ffmpeg sources (lavfi testsrc): the config loads,
 * one long-lived ffmpeg process per camera, images land in checksummed capture files at the
 * configured rate with their metadata, stale frames and missing devices become gap records with
 * their reasons, a torn image is cut by crash recovery, and `config explain` shows bytes/s.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../../src/app/gateway.js';
import { decodeCaptureFile, FINISHED_SUFFIX } from '../../../src/capture/file-format.js';
import { walkCaptureDir } from '../../../src/capture/files.js';
import { recoverCaptureDir } from '../../../src/capture/recovery.js';
import { FrameSplitter } from '../../../src/capture/images/frame-splitter.js';
import { explainPlan } from '../../../src/config/index.js';
import { nullLogger } from '../../../src/shared/logger.js';
import { requireTool } from '../../helpers/system-tool.js';
import { camera, cameraConfig, images, records, until } from './camera-helpers.js';
import { load, planOf } from '../../config/helpers.js';

const hasFfmpeg = requireTool('ffmpeg', 'camera capture reads real ffmpeg sources');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'wharf-cam-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** PIDs of ffmpeg processes that are children of this process. */
async function ffmpegChildren(): Promise<number[]> {
  const out = await new Promise<string>((resolve) => {
    const p = spawn('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)]);
    let s = '';
    p.stdout.on('data', (c: Buffer) => (s += c.toString()));
    p.on('close', () => resolve(s));
  });
  return out
    .split('\n')
    .filter((l) => /\bffmpeg\b/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

describe('camera config', () => {
  it("the seed's local webcam config loads: ReadImage at 0.333 Hz, image/jpeg, scheduled on the camera; explain shows bytes/s", () => {
    const plan = planOf(
      load({
        services: [{ name: 'data_manager', type: 'data_manager', attributes: {} }],
        components: [
          {
            service_configs: [
              {
                type: 'data_manager',
                attributes: {
                  capture_methods: [
                    {
                      capture_frequency_hz: 0.333,
                      disabled: false,
                      method: 'ReadImage',
                      additional_params: { reader_name: 'cam1', mime_type: 'image/jpeg' },
                    },
                  ],
                },
              },
            ],
            model: 'webcam',
            name: 'cam',
            type: 'camera',
            attributes: { video_path: 'video0' },
            depends_on: ['local'],
          },
        ],
      }),
    );
    expect(plan.cameras).toEqual([
      {
        id: 'cam',
        boardId: 'cam',
        name: 'cam',
        model: 'webcam',
        input: '/dev/video0',
        format: 'v4l2',
        input_args: [],
      },
    ]);
    expect(plan.entries).toEqual([
      expect.objectContaining({
        boardId: 'cam',
        resource: 'rdk:component:camera/cam',
        method: 'ReadImage',
        hz: 0.333,
        supported: true,
        additional_params: { reader_name: 'cam1', mime_type: 'image/jpeg' },
      }),
    ]);
    const text = explainPlan(plan);
    // 640×480 JPEG estimate 46080 B × 0.333/s ≈ 15 KiB/s
    expect(text).toMatch(
      /cam\s+camera\s+rdk:component:camera\/cam\s+ReadImage\s+0\.333.*15 KiB\/s/,
    );
  });

  it('refuses a mime type wharf cannot produce and warns about a model it cannot open', () => {
    const r = load({
      components: [
        camera('a', 'lavfi:testsrc', [
          {
            method: 'ReadImage',
            capture_frequency_hz: 1,
            additional_params: { mime_type: 'image/gif' },
          },
        ]),
      ],
    });
    expect(r.ok).toBe(false);
    expect(r.issues.map((i) => i.message).join('\n')).toMatch(
      /mime_type "image\/gif" cannot be captured/,
    );
    const w = load({
      components: [
        camera('b', 'x', [{ method: 'ReadImage', capture_frequency_hz: 1 }], 'realsense'),
      ],
    });
    const plan = planOf(w);
    expect(plan.entries[0]?.supported).toBe(false);
    expect(w.issues.map((i) => i.message).join('\n')).toMatch(
      /model "realsense", which wharf cannot open/,
    );
  });
});

describe.skipIf(!hasFfmpeg)('camera capture (real ffmpeg)', () => {
  it('splits real ffmpeg JPEG and PNG streams into whole images, whatever the chunking', async () => {
    for (const [codec, format] of [
      ['mjpeg', 'jpeg'],
      ['png', 'png'],
    ] as const) {
      const buf = await new Promise<Buffer>((resolve, reject) => {
        const p = spawn('ffmpeg', [
          '-hide_banner',
          '-loglevel',
          'error',
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=160x120:rate=5',
          '-frames:v',
          '7',
          '-c:v',
          codec,
          '-f',
          'image2pipe',
          'pipe:1',
        ]);
        const parts: Buffer[] = [];
        p.stdout.on('data', (c: Buffer) => parts.push(c));
        p.on('error', reject);
        p.on('close', () => resolve(Buffer.concat(parts)));
      });
      const got: Buffer[] = [];
      const errors: string[] = [];
      const s = new FrameSplitter(
        format,
        (b) => got.push(b),
        (e) => errors.push(e),
      );
      // odd chunk sizes, including 1-byte chunks across markers
      let i = 0;
      let n = 1;
      while (i < buf.length) {
        s.push(buf.subarray(i, i + n));
        i += n;
        n = (n * 7 + 3) % 997 || 1;
      }
      expect(errors).toEqual([]);
      expect(got).toHaveLength(7);
      expect(Buffer.concat(got).equals(buf)).toBe(true);
      for (const g of got) {
        if (format === 'jpeg') {
          expect([g[0], g[1], g[g.length - 2], g[g.length - 1]]).toEqual([0xff, 0xd8, 0xff, 0xd9]);
        } else expect(g.subarray(g.length - 8, g.length - 4).toString('latin1')).toBe('IEND');
      }
      // garbage before an image is reported, never handed out as an image
      const bad: Buffer[] = [];
      const errs: string[] = [];
      const s2 = new FrameSplitter(
        format,
        (b) => bad.push(b),
        (e) => errs.push(e),
      );
      s2.push(Buffer.concat([Buffer.from('garbage'), got[0]!]));
      expect(bad).toHaveLength(1);
      expect(bad[0]!.equals(got[0]!)).toBe(true);
      expect(errs[0]).toMatch(/7 bytes .* not a/);
    }
  });

  it('captures JPEG and PNG images at the configured rate from one long-lived ffmpeg per camera and format, with metadata; a stalled source is a timeout gap, never a stale image', async () => {
    const dir = path.join(tmp, 'cap1');
    const plan = cameraConfig(
      dir,
      [
        camera('cell', 'lavfi:testsrc=size=320x240:rate=25', [
          {
            method: 'ReadImage',
            capture_frequency_hz: 4,
            additional_params: { mime_type: 'image/jpeg' },
          },
          {
            method: 'GetImages',
            capture_frequency_hz: 2,
            additional_params: { mime_type: 'image/png' },
          },
        ]),
      ],
      ['cell-4'],
    );
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      const got = await until('8 JPEG and 3 PNG images on disk', async () => {
        const rs = await records(dir);
        const jpg = images(rs).filter(
          (r) => (r.data as { image: { mime_type: string } }).image.mime_type === 'image/jpeg',
        );
        const png = images(rs).filter(
          (r) => (r.data as { image: { mime_type: string } }).image.mime_type === 'image/png',
        );
        return jpg.length >= 8 && png.length >= 3 ? { rs, jpg, png } : undefined;
      });
      const status = gw.cameras!.status();
      expect(status).toHaveLength(2); // one process per format of the camera
      expect(new Set(status.map((s) => s.pid)).size).toBe(2);
      const pidsBefore = status.map((s) => s.pid);
      for (const r of got.jpg) {
        expect(r.binary![0]).toBe(0xff);
        expect(r.binary![1]).toBe(0xd8);
        expect(r.data).toEqual({ image: { size: r.binary!.length, mime_type: 'image/jpeg' } });
        expect(r.time_received).toBeGreaterThanOrEqual(r.time_requested);
      }
      for (const r of got.png) expect(r.binary!.subarray(1, 4).toString()).toBe('PNG');
      // on the 4 Hz grid: 250 ms apart
      const t = got.jpg.map((r) => r.time_requested);
      for (let i = 1; i < t.length; i++) expect((t[i]! - t[0]!) % 250).toBeCloseTo(0, 3);
      const metas = new Set(
        got.rs.map(
          (r) =>
            `${r.meta.component_type}/${r.meta.component_name}/${r.meta.method_name}/${r.meta.tags.join(',')}`,
        ),
      );
      expect(metas).toEqual(
        new Set(['camera/cell/ReadImage/cell-4', 'camera/cell/GetImages/cell-4']),
      );

      // Freeze the JPEG ffmpeg (SIGSTOP): no new frame → timeout gaps, not the old image again.
      const jpegPid = status.find((s) => s.pid !== undefined)!.pid!;
      const frozenAt = Date.now();
      process.kill(jpegPid, 'SIGSTOP');
      try {
        await until('a timeout gap while ffmpeg is frozen', async () => {
          const rs = await records(dir);
          return rs.some(
            (r) => r.rec.kind === 'gap' && r.rec.reason === 'timeout' && r.rec.start > frozenAt,
          )
            ? true
            : undefined;
        });
      } finally {
        process.kill(jpegPid, 'SIGCONT');
      }
      const rs = await records(dir);
      const gap = rs.find((r) => r.rec.kind === 'gap' && r.rec.reason === 'timeout')!.rec;
      expect(gap).toMatchObject({
        detail: expect.stringMatching(/no new image within one period \(250 ms\)/),
      });
      // Each image is recorded once: no two records carry the same bytes of one process.
      const all = images(rs);
      const seen = new Set(all.map((r) => Buffer.from(r.binary!).toString('base64')));
      expect(seen.size).toBe(all.length);
      // the processes were not restarted: still the same ones
      expect(gw.cameras!.status().map((s) => s.pid)).toEqual(pidsBefore);
    } finally {
      await gw.stop();
    }
    expect(await ffmpegChildren()).toEqual([]); // stop ends them
  });

  it('live config: an unchanged camera keeps its ffmpeg, a changed one restarts, a removed one stops', async () => {
    const dir = path.join(tmp, 'live');
    const cfg = (hz: number) =>
      cameraConfig(dir, [
        camera('live', 'lavfi:testsrc=size=160x120:rate=25', [
          { method: 'ReadImage', capture_frequency_hz: hz },
        ]),
      ]);
    const gw = await Gateway.start({ plan: cfg(2), logger: nullLogger });
    try {
      const pid = await until('ffmpeg running', async () => gw.cameras!.status()[0]?.pid);
      await gw.applyPlan(cfg(2));
      expect(gw.cameras!.status()[0]?.pid).toBe(pid);
      await gw.applyPlan(cfg(4));
      const pid2 = await until('ffmpeg restarted', async () => gw.cameras!.status()[0]?.pid);
      expect(pid2).not.toBe(pid);
      expect(await ffmpegChildren()).toEqual([pid2]);
      const none = cameraConfig(dir, []);
      await gw.applyPlan(none);
      expect(gw.cameras!.status()).toEqual([]);
      expect(await ffmpegChildren()).toEqual([]);
    } finally {
      await gw.stop();
    }
  });

  it("a remote part's camera (the seed's pi-test-main capture method), declared with its IP camera URL, is resolved by its fully qualified name and captured", async () => {
    const dir = path.join(tmp, 'remote');
    const plan = planOf(
      load({
        services: [
          {
            name: 'data_manager',
            type: 'data_manager',
            attributes: {
              capture_dir: dir,
              flush_interval_ms: 100,
              maximum_capture_file_age_ms: 300,
            },
          },
        ],
        components: [],
        remotes: [
          {
            name: 'pi-test-main',
            address: 'pi-test-main.vw3iu72d8n.viam.cloud',
            secret: 'REDACTED',
            components: [
              {
                name: 'cam',
                type: 'camera',
                model: 'ffmpeg',
                attributes: { video_path: 'lavfi:testsrc=size=160x120:rate=25' },
              },
            ],
            service_configs: [
              {
                type: 'data_manager',
                attributes: {
                  capture_methods: [
                    {
                      capture_frequency_hz: 2,
                      name: 'rdk:component:camera/cam',
                      disabled: false,
                      method: 'ReadImage',
                      additional_params: { mime_type: 'image/jpeg', reader_name: 'cam1' },
                    },
                  ],
                },
              },
            ],
          },
        ],
        wharf: { machine: 'cam-gw', http: null },
      }),
    );
    expect(plan.entries).toEqual([
      expect.objectContaining({ boardId: 'pi-test-main', component_name: 'cam', supported: true }),
    ]);
    expect(plan.cameras).toEqual([
      expect.objectContaining({ id: 'pi-test-main:cam', boardId: 'pi-test-main', name: 'cam' }),
    ]);
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      await until('3 images of the remote camera', async () =>
        images(await records(dir)).length >= 3 ? true : undefined,
      );
    } finally {
      await gw.stop();
    }
    const rs = await records(dir);
    expect(
      new Set(
        rs.map((r) => `${r.meta.component_type}/${r.meta.component_name}/${r.meta.method_name}`),
      ),
    ).toEqual(new Set(['camera/cam/ReadImage']));
  });

  it('a webcam without its device writes read_error gaps saying why, and does not crash', async () => {
    const dir = path.join(tmp, 'cap2');
    const plan = cameraConfig(dir, [
      camera(
        'cam',
        'video-wharf-missing',
        [{ method: 'ReadImage', capture_frequency_hz: 5 }],
        'webcam',
      ),
    ]);
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      const gaps = await until('read_error gaps', async () => {
        const g = (await records(dir)).filter((r) => r.rec.kind === 'gap');
        return g.length > 0 ? g : undefined;
      });
      expect(gaps[0]!.rec).toMatchObject({
        kind: 'gap',
        reason: 'read_error',
        detail:
          'camera cam: video device /dev/video-wharf-missing does not exist (is the camera plugged in? see ls /dev/video*)',
      });
      expect(gw.cameras!.status()).toEqual([
        { camera: 'cam', pid: undefined, problem: expect.stringMatching(/does not exist/) },
      ]);
    } finally {
      await gw.stop();
    }
  });

  it('a gateway restart is one capture_stopped gap for the camera, covering the downtime', async () => {
    const dir = path.join(tmp, 'restart');
    const plan = cameraConfig(dir, [
      camera('r', 'lavfi:testsrc=size=160x120:rate=25', [
        { method: 'ReadImage', capture_frequency_hz: 5 },
      ]),
    ]);
    const runUntil = async (n: number) => {
      const gw = await Gateway.start({ plan, logger: nullLogger });
      try {
        await until(`${n} images`, async () =>
          images(await records(dir)).length >= n ? true : undefined,
        );
      } finally {
        await gw.stop();
      }
    };
    await runUntil(3);
    const before = await records(dir);
    const lastBefore = Math.max(
      ...before.map((r) => (r.rec.kind === 'gap' ? r.rec.end : r.rec.time_requested)),
    );
    await new Promise((r) => setTimeout(r, 700)); // deliberate: the gateway is down for 700 ms
    await runUntil(images(before).length + 3);
    const gaps = (await records(dir))
      .map((r) => r.rec)
      .filter((r) => r.kind === 'gap' && r.reason === 'capture_stopped');
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({
      start: expect.closeTo(lastBefore + 200, 3),
      count: expect.any(Number),
      detail: 'gateway was not running (stopped or crashed)',
    });
    expect((gaps[0] as { count: number }).count).toBeGreaterThanOrEqual(3);
  });

  it('image files count for the disk budget: over capture_dir_max_bytes the oldest go, each a disk_quota gap counting the images lost', async () => {
    const dir = path.join(tmp, 'budget');
    const plan = cameraConfig(dir, [
      camera('q', 'lavfi:testsrc=size=320x240:rate=25', [
        { method: 'ReadImage', capture_frequency_hz: 10 },
      ]),
    ]);
    plan.dataManager.capture_dir_max_bytes = 120_000; // ≈ 15 images of ≈ 8 KiB
    plan.dataManager.maximum_capture_file_size_bytes = 40_000;
    const gw = await Gateway.start({ plan, logger: nullLogger, diskBudgetIntervalMs: 100 });
    try {
      await until('a disk_quota gap', async () =>
        (await records(dir)).some((r) => r.rec.kind === 'gap' && r.rec.reason === 'disk_quota')
          ? true
          : undefined,
      );
    } finally {
      await gw.stop();
    }
    const gap = (await records(dir)).find(
      (r) => r.rec.kind === 'gap' && r.rec.reason === 'disk_quota',
    )!;
    expect(gap.meta.component_name).toBe('q');
    expect(gap.rec).toMatchObject({
      count: expect.any(Number),
      detail: expect.stringMatching(/capture_dir_max_bytes/),
    });
    expect((gap.rec as { count: number }).count).toBeGreaterThan(0);
  });

  it('an image torn by a crash is cut by recovery; the images before it stay whole', async () => {
    const dir = path.join(tmp, 'cap3');
    const plan = cameraConfig(dir, [
      camera('c', 'lavfi:testsrc=size=320x240:rate=25', [
        { method: 'ReadImage', capture_frequency_hz: 5 },
      ]),
    ]);
    plan.dataManager.maximum_capture_file_age_ms = 60_000;
    const gw2 = await Gateway.start({ plan, logger: nullLogger });
    let prog: string | undefined;
    try {
      prog = await until('an in-progress file with 3 images', async () => {
        for (const f of await walkCaptureDir(dir, ['.prog'])) {
          const bytes = await fsp.readFile(f.path).catch(() => undefined); // finished meanwhile
          if (bytes === undefined || bytes.length < 64) continue; // no complete header yet
          const d = decodeCaptureFile(bytes);
          if (images(d.records.map((rec) => ({ rec }))).length >= 3) return f.path;
        }
        return undefined;
      });
      // copy it as the crash leftover: the tail of the last image torn off
      const buf = await fsp.readFile(prog);
      const crashDir = path.join(tmp, 'cap3-crash');
      await fsp.mkdir(path.join(crashDir, 'camera', 'c', 'ReadImage'), { recursive: true });
      const leftover = path.join(crashDir, 'camera', 'c', 'ReadImage', path.basename(prog));
      const whole = decodeCaptureFile(buf);
      await fsp.writeFile(leftover, buf.subarray(0, whole.validBytes - 100));
      const report = await recoverCaptureDir(crashDir, nullLogger);
      expect(report.recovered).toHaveLength(1);
      const [fin] = await walkCaptureDir(crashDir, [FINISHED_SUFFIX]);
      const d = decodeCaptureFile(await fsp.readFile(fin!.path));
      expect(d.torn).toBeNull();
      const kept = images(d.records.map((rec) => ({ rec })));
      expect(kept.length).toBe(images(whole.records.map((rec) => ({ rec }))).length - 1);
      for (const k of kept)
        expect(k.binary!.length).toBe((k.data as { image: { size: number } }).image.size);
      expect(d.records.at(-1)).toMatchObject({ kind: 'gap', reason: 'recovery_truncated' });
    } finally {
      await gw2.stop();
    }
  });
});

describe.skipIf(!hasFfmpeg)('HTTP cameras (loopback server)', () => {
  it('a snapshot URL is fetched by wharf (no ffmpeg), an MJPEG stream is read by one ffmpeg; a wrong image type is a gap naming it', async () => {
    const dir = path.join(tmp, 'http1');
    const jpegs = await new Promise<Buffer[]>((resolve, reject) => {
      const p = spawn('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=160x120:rate=5',
        '-frames:v',
        '5',
        '-c:v',
        'mjpeg',
        '-f',
        'image2pipe',
        'pipe:1',
      ]);
      const parts: Buffer[] = [];
      p.stdout.on('data', (c: Buffer) => parts.push(c));
      p.on('error', reject);
      p.on('close', () => {
        const out: Buffer[] = [];
        const s = new FrameSplitter('jpeg', (b) => out.push(b), reject);
        s.push(Buffer.concat(parts));
        resolve(out);
      });
    });
    let n = 0;
    const streams = new Set<http.ServerResponse>();
    const server = http.createServer((req, res) => {
      if (req.url === '/snap.jpg') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(jpegs[n++ % jpegs.length]);
      } else if (req.url === '/wrong.png') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(jpegs[0]);
      } else if (req.url === '/mjpeg') {
        res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=wharfcam' });
        streams.add(res);
        let k = 0;
        const t = setInterval(() => {
          const j = jpegs[k++ % jpegs.length]!;
          res.write(
            `--wharfcam\r\nContent-Type: image/jpeg\r\nContent-Length: ${j.length}\r\n\r\n`,
          );
          res.write(j);
          res.write('\r\n');
        }, 100);
        res.on('close', () => (clearInterval(t), streams.delete(res)));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const plan = cameraConfig(dir, [
      {
        ...camera('snap', `${base}/snap.jpg`, [{ method: 'ReadImage', capture_frequency_hz: 4 }]),
        attributes: { video_path: `${base}/snap.jpg`, snapshot: true },
      },
      {
        ...camera('wrong', `${base}/wrong.png`, [
          {
            method: 'ReadImage',
            capture_frequency_hz: 2,
            additional_params: { mime_type: 'image/png' },
          },
        ]),
        attributes: { video_path: `${base}/wrong.png`, snapshot: true },
      },
      camera('stream', `${base}/mjpeg`, [{ method: 'ReadImage', capture_frequency_hz: 2 }]),
    ]);
    const gw = await Gateway.start({ plan, logger: nullLogger });
    try {
      const rs = await until('images of both cameras and a gap of the wrong one', async () => {
        const all = await records(dir);
        const by = (c: string) => all.filter((r) => r.meta.component_name === c);
        return images(by('snap')).length >= 4 &&
          images(by('stream')).length >= 3 &&
          by('wrong').some((r) => r.rec.kind === 'gap' && /not a whole/.test(r.rec.detail ?? ''))
          ? all
          : undefined;
      });
      const snaps = images(rs.filter((r) => r.meta.component_name === 'snap'));
      for (const s of snaps) expect(jpegs.some((j) => j.equals(Buffer.from(s.binary!)))).toBe(true);
      expect(images(rs.filter((r) => r.meta.component_name === 'wrong'))).toEqual([]);
      expect(
        rs.filter((r) => r.meta.component_name === 'wrong' && r.rec.kind === 'gap').at(-1)!.rec,
      ).toMatchObject({
        reason: 'read_error',
        detail: expect.stringMatching(/the snapshot is image\/jpeg, not a whole image\/png/),
      });
      const st = gw.cameras!.status();
      expect(st.filter((s) => s.pid !== undefined).map((s) => s.camera)).toEqual(['stream']);
    } finally {
      await gw.stop();
      for (const s of streams) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});
